//! The shipped wasm's functions in the order of their names, so that gzip finds its copies.
//!
//! wasm-bindgen writes a module's functions largest first (walrus does, to help engines that
//! compile in parallel). The client is full of near copies of one function: a serde decoder
//! per type, a `BTreeMap` per value type, drop glue per type. Ordered by size they lie far
//! apart, beyond the 32 KiB that gzip looks back; ordered by name (`<T as Deserialize>`
//! beside the next type's, `BTreeMap<K, V>::insert` beside the next one) each copy is a
//! few hundred bytes after the one it repeats, and costs gzip little. Brotli looks back
//! further and gains less (BENCHMARKS.md, "Functions in the order of their names").
//!
//! The module is read and written again with every function index renumbered (calls,
//! `ref.func`, the function table's elements, exports, the start function); the names it was
//! ordered by are then left out, as the release build always did. The result is validated.

use std::collections::HashMap;

use anyhow::Context;
use wasm_encoder::reencode::{self, Reencode};
use wasmparser::{Name, NameSectionReader, Parser, Payload, TypeRef};

/// `wasm` with its functions ordered by name, its name section left out. A module without
/// names (or without functions) comes back in its own order, still without a name section.
pub fn order_by_name(wasm: &[u8]) -> anyhow::Result<Vec<u8>> {
    let layout = Layout::read(wasm)?;
    let mut renumber = Renumber::new(&layout);
    let mut module = wasm_encoder::Module::new();
    renumber
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|err| anyhow::anyhow!("rewriting the wasm: {err:?}"))?;
    let ordered = module.finish();
    wasmparser::Validator::new()
        .validate_all(&ordered)
        .context("the wasm with its functions reordered does not validate")?;
    Ok(ordered)
}

/// What the reordering needs to know before it writes anything: the names come last in a
/// module, the functions they order come before.
struct Layout {
    /// Imported functions: their indices come first and do not move.
    imported: u32,
    /// The module's own functions.
    defined: u32,
    /// Each defined function's size in bytes, in the module's order.
    sizes: Vec<usize>,
    /// Function names by index (imported ones included), from the `name` section.
    names: HashMap<u32, String>,
}

impl Layout {
    fn read(wasm: &[u8]) -> anyhow::Result<Self> {
        let mut layout = Layout {
            imported: 0,
            defined: 0,
            sizes: Vec::new(),
            names: HashMap::new(),
        };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.context("reading the wasm")? {
                Payload::ImportSection(imports) => {
                    for import in imports.into_imports() {
                        if matches!(import?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                            layout.imported += 1;
                        }
                    }
                }
                Payload::FunctionSection(functions) => layout.defined = functions.count(),
                Payload::CodeSectionEntry(body) => layout.sizes.push(body.range().len()),
                Payload::CustomSection(section) if section.name() == "name" => {
                    let reader = NameSectionReader::new(wasmparser::BinaryReader::new(
                        section.data(),
                        section.data_offset(),
                    ));
                    for subsection in reader {
                        // A malformed name section orders nothing; the module is still valid.
                        let Ok(Name::Function(map)) = subsection else {
                            continue;
                        };
                        for naming in map.into_iter().flatten() {
                            layout.names.insert(naming.index, naming.name.to_owned());
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(layout)
    }

    /// The defined functions' positions (0 = the first defined function) in their new order:
    /// by name without its hash (`::h0123456789abcdef`, which would scatter the copies of one
    /// generic function), then smallest first (copies of one size are often copies of one
    /// code), then in their old order. Unnamed functions come first, in their old order.
    fn order(&self) -> Vec<u32> {
        let key = |position: u32| {
            let name = self.names.get(&(self.imported + position));
            // Unnamed functions keep their order: their size says nothing of what they are.
            let size = name.and(self.sizes.get(position as usize));
            (name.map(|name| without_hash(name)), size, position)
        };
        let mut order: Vec<u32> = (0..self.defined).collect();
        order.sort_by_cached_key(|&position| key(position));
        order
    }
}

/// A Rust symbol's name without the hash the legacy mangling ends it with.
fn without_hash(name: &str) -> &str {
    match name.rsplit_once("::h") {
        Some((path, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            path
        }
        _ => name,
    }
}

/// Re-encodes a module with its defined functions moved to [`Layout::order`].
struct Renumber {
    imported: u32,
    /// Old position of each function, in the new order.
    order: Vec<u32>,
    /// New position of each function, by old position.
    new_position: Vec<u32>,
}

impl Renumber {
    fn new(layout: &Layout) -> Self {
        let order = layout.order();
        let mut new_position = vec![0; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_position[old as usize] = new as u32;
        }
        Renumber {
            imported: layout.imported,
            order,
            new_position,
        }
    }
}

impl Reencode for Renumber {
    type Error = anyhow::Error;

    fn function_index(&mut self, func: u32) -> Result<u32, reencode::Error<anyhow::Error>> {
        let Some(position) = func.checked_sub(self.imported) else {
            return Ok(func);
        };
        match self.new_position.get(position as usize) {
            Some(&new) => Ok(self.imported + new),
            None => Err(reencode::Error::UserError(anyhow::anyhow!(
                "function index {func} is out of range"
            ))),
        }
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), reencode::Error<anyhow::Error>> {
        let types = section.into_iter().collect::<Result<Vec<u32>, _>>()?;
        for &old in &self.order.clone() {
            functions.function(self.type_index(types[old as usize])?);
        }
        Ok(())
    }

    fn parse_code_section(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), reencode::Error<anyhow::Error>> {
        let bodies = section.into_iter().collect::<Result<Vec<_>, _>>()?;
        if bodies.len() != self.order.len() {
            return Err(reencode::Error::UserError(anyhow::anyhow!(
                "the code section has {} functions, the function section {}",
                bodies.len(),
                self.order.len()
            )));
        }
        for &old in &self.order.clone() {
            self.parse_function_body(code, bodies[old as usize].clone())?;
        }
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        module: &mut wasm_encoder::Module,
        section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), reencode::Error<anyhow::Error>> {
        // The names were only needed to order the functions.
        if section.name() == "name" {
            return Ok(());
        }
        reencode::utils::parse_custom_section(self, module, section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, ConstExpr, ElementSection, Elements, EntityType, ExportKind, ExportSection,
        Function, FunctionSection, ImportSection, Instruction, NameMap, NameSection, RefType,
        TableSection, TableType, TypeSection, ValType,
    };

    /// A module importing `env.log`, defining functions named `names` (each returns its own
    /// number plus what the function named after it returns, if any), exporting each under its
    /// name and putting them all into a table.
    fn module(names: &[&str]) -> Vec<u8> {
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        types.ty().function([ValType::I32], []);
        let mut imports = ImportSection::new();
        imports.import("env", "log", EntityType::Function(1));
        let mut functions = FunctionSection::new();
        let mut table = TableSection::new();
        table.table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: names.len() as u64,
            maximum: None,
            shared: false,
        });
        let mut exports = ExportSection::new();
        let mut code = CodeSection::new();
        let mut name_map = NameMap::new();
        name_map.append(0, "env.log");
        for (i, name) in names.iter().enumerate() {
            let index = i as u32 + 1;
            functions.function(0);
            exports.export(name, ExportKind::Func, index);
            name_map.append(index, name);
            let mut body = Function::new([]);
            body.instruction(&Instruction::I32Const(i as i32));
            if i + 1 < names.len() {
                body.instruction(&Instruction::Call(index + 1));
                body.instruction(&Instruction::I32Add);
            }
            body.instruction(&Instruction::End);
            code.function(&body);
        }
        let mut elements = ElementSection::new();
        let all: Vec<u32> = (1..=names.len() as u32).collect();
        elements.active(
            Some(0),
            &ConstExpr::i32_const(0),
            Elements::Functions(all.into()),
        );
        let mut name_section = NameSection::new();
        name_section.functions(&name_map);
        let mut module = wasm_encoder::Module::new();
        module
            .section(&types)
            .section(&imports)
            .section(&functions)
            .section(&table)
            .section(&exports)
            .section(&elements)
            .section(&code)
            .section(&name_section);
        module.finish()
    }

    /// A defined function as [`module`] made it: the name it is exported under, the constant
    /// it returns, and the function it calls (by export name).
    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
    struct Defined {
        name: String,
        constant: i32,
        calls: Option<String>,
    }

    /// What a module made by [`module`] holds, read back.
    struct Described {
        /// The defined functions, in the module's order.
        functions: Vec<Defined>,
        /// The table's functions, by export name.
        table: Vec<String>,
        /// Whether a name section is left.
        named: bool,
    }

    fn describe(wasm: &[u8]) -> Described {
        let mut exported = HashMap::new();
        let mut bodies = Vec::new();
        let mut table = Vec::new();
        let mut named = false;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.unwrap() {
                Payload::ExportSection(exports) => {
                    for export in exports {
                        let export = export.unwrap();
                        exported.insert(export.index, export.name.to_owned());
                    }
                }
                Payload::ElementSection(elements) => {
                    for element in elements {
                        if let wasmparser::ElementItems::Functions(funcs) = element.unwrap().items {
                            table.extend(funcs.into_iter().map(Result::unwrap));
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let mut constant = None;
                    let mut calls = None;
                    for op in body.get_operators_reader().unwrap() {
                        match op.unwrap() {
                            wasmparser::Operator::I32Const { value } => constant = Some(value),
                            wasmparser::Operator::Call { function_index } => {
                                calls = Some(function_index)
                            }
                            _ => {}
                        }
                    }
                    bodies.push((constant.unwrap(), calls));
                }
                Payload::CustomSection(section) if section.name() == "name" => named = true,
                _ => {}
            }
        }
        let name = |index: u32| exported[&index].clone();
        Described {
            functions: bodies
                .iter()
                .enumerate()
                .map(|(i, &(constant, calls))| Defined {
                    name: name(i as u32 + 1),
                    constant,
                    calls: calls.map(name),
                })
                .collect(),
            table: table.into_iter().map(name).collect(),
            named,
        }
    }

    fn names(described: &Described) -> Vec<&str> {
        described
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .collect()
    }

    #[test]
    fn functions_follow_their_names_and_every_reference_follows_them() {
        let wasm = module(&["zeta", "alpha", "mu", "beta"]);
        let before = describe(&wasm);
        assert!(before.named);

        let after = describe(&order_by_name(&wasm).unwrap());
        assert!(!after.named, "the name section is left out");
        assert_eq!(names(&after), ["alpha", "beta", "mu", "zeta"]);
        // Each function still returns its own constant and calls the same function (found by
        // its export), and the table holds the same functions in the same slots.
        let mut functions_before = before.functions.clone();
        functions_before.sort();
        let mut functions_after = after.functions.clone();
        functions_after.sort();
        assert_eq!(functions_before, functions_after);
        assert_eq!(after.table, ["zeta", "alpha", "mu", "beta"]);
    }

    #[test]
    fn copies_of_one_function_go_smallest_first_whatever_their_hashes() {
        // The first calls the second, so it is the larger.
        let wasm = module(&["x::h0000000000000000", "x::h1111111111111111"]);
        let after = describe(&order_by_name(&wasm).unwrap());
        assert_eq!(
            names(&after),
            ["x::h1111111111111111", "x::h0000000000000000"]
        );
    }

    #[test]
    fn a_module_without_names_keeps_its_order() {
        let wasm = module(&["b", "a"]);
        let stripped = {
            let mut module = wasm_encoder::Module::new();
            struct NoNames;
            impl Reencode for NoNames {
                type Error = std::convert::Infallible;
                fn parse_custom_section(
                    &mut self,
                    _: &mut wasm_encoder::Module,
                    _: wasmparser::CustomSectionReader<'_>,
                ) -> Result<(), reencode::Error<Self::Error>> {
                    Ok(())
                }
            }
            NoNames
                .parse_core_module(&mut module, Parser::new(0), &wasm)
                .unwrap();
            module.finish()
        };
        let after = describe(&order_by_name(&stripped).unwrap());
        assert_eq!(names(&after), ["b", "a"]);
    }

    #[test]
    fn a_hash_is_not_part_of_the_order() {
        assert_eq!(
            without_hash("core::ptr::drop_in_place::h0123456789abcdef"),
            "core::ptr::drop_in_place"
        );
        assert_eq!(without_hash("a::hello"), "a::hello");
        assert_eq!(without_hash("a::h0123"), "a::h0123");
        assert_eq!(without_hash("_ZN4core3ptr13drop"), "_ZN4core3ptr13drop");
    }

    #[test]
    fn a_broken_module_is_refused() {
        assert!(order_by_name(b"\0asm\x01\0\0\0\x0a\xff").is_err());
    }
}
