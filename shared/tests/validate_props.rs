//! Soundness and completeness tests for `wire::validate` against real yrs and Yjs updates.
//!
//! - completeness: every update yrs 0.28 or Yjs 13.6 produces is accepted;
//! - soundness: whenever the validator accepts bytes (arbitrary, truncated, mutated),
//!   `yrs::Update::decode_v1` decodes them without error or panic;
//! - hostile inputs are rejected without allocating (a counting global allocator checks that
//!   validation performs no heap allocation at all) and without deep recursion.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use huddle_shared::wire::validate::{InvalidUpdate, Limits, UpdateSummary, validate_update_v1};
use proptest::prelude::*;
use yrs::types::Attrs;
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, ArrayPrelim, ClientID, Doc, Map, MapPrelim, OffsetKind, Options, ReadTxn,
    StateVector, Text, Transact, Update, Xml, XmlElementPrelim, XmlFragment, XmlTextPrelim,
};

/// Counts heap bytes allocated by the current thread, so tests can prove validation allocates
/// nothing (other test threads do not disturb the count).
struct CountingAlloc;

thread_local! {
    static ALLOCATED: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    let _ = ALLOCATED.try_with(|c| c.set(c.get().saturating_add(bytes)));
}

// SAFETY: forwards every call to `System` unchanged; only adds bookkeeping.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Runs `f` and returns its result with the heap bytes it allocated on this thread.
fn allocated_by<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATED.with(Cell::get);
    let out = f();
    (out, ALLOCATED.with(Cell::get) - before)
}

fn validate(bytes: &[u8]) -> Result<UpdateSummary, InvalidUpdate> {
    validate_update_v1(bytes, &Limits::default())
}

/// The soundness property: if the validator accepts, yrs decodes (and does not panic).
fn assert_sound(bytes: &[u8]) -> Option<UpdateSummary> {
    let summary = validate(bytes).ok()?;
    if let Err(e) = Update::decode_v1(bytes) {
        panic!("validator accepted {bytes:02x?} ({summary:?}) but yrs fails: {e}");
    }
    Some(summary)
}

/// Completeness on a real update; the summary's delete-set counts must match what yrs decodes.
fn assert_accepted(name: &str, bytes: &[u8]) -> UpdateSummary {
    let update =
        Update::decode_v1(bytes).unwrap_or_else(|e| panic!("{name}: yrs itself rejects it: {e}"));
    let summary = validate(bytes).unwrap_or_else(|e| panic!("{name}: real update rejected: {e}"));
    let ds = update.delete_set();
    assert_eq!(summary.delete_set_clients, ds.len(), "{name}");
    assert_eq!(
        summary.delete_ranges,
        ds.iter().map(|(_, r)| r.len()).sum::<usize>(),
        "{name}"
    );
    summary
}

// ---------------------------------------------------------------------------------------------
// Real updates produced by yrs.

type UpdateLog = Arc<Mutex<Vec<Vec<u8>>>>;

fn record_updates(doc: &Doc) -> UpdateLog {
    let log = UpdateLog::default();
    let sink = log.clone();
    doc.observe_update_v1("validate-tests", move |_, e| {
        sink.lock().unwrap().push(e.update.clone())
    })
    .unwrap();
    log
}

fn nested_any(levels: usize) -> Any {
    let mut value = Any::from("leaf");
    for i in 0..levels {
        value = if i % 2 == 0 {
            Any::Array(vec![value, Any::Null, Any::from(i as f64 + 0.5)].into())
        } else {
            Any::Map(Arc::new(HashMap::from([("k".to_owned(), value)])))
        };
    }
    value
}

/// Maps, nested maps, arrays, every `Any` kind, formatted text with embeds, XML and a
/// subdocument, then deletes (so the delete set is non-empty and nested content is GC'd).
fn edit_everything(doc: &Doc, who: &str) {
    let map = doc.get_or_insert_map("map");
    let list = doc.get_or_insert_array("list");
    let text = doc.get_or_insert_text("text");
    let xml = doc.get_or_insert_xml_fragment("xml");
    let mut txn = doc.transact_mut();
    map.insert(&mut txn, format!("{who}-int"), 42);
    map.insert(&mut txn, "negative", -70_000);
    map.insert(&mut txn, "float", 1.25);
    map.insert(&mut txn, "double", 0.1);
    map.insert(&mut txn, "large", i64::MAX - 1);
    map.insert(&mut txn, "huge-float", 1e300);
    map.insert(&mut txn, "string", "héllo wörld 😀");
    map.insert(
        &mut txn,
        "bools",
        Any::Array(vec![true.into(), false.into()].into()),
    );
    map.insert(&mut txn, "null", Any::Null);
    map.insert(&mut txn, "undefined", Any::Undefined);
    map.insert(&mut txn, "binary", Any::from(vec![0u8, 1, 255]));
    map.insert(&mut txn, "nested-any", nested_any(12));
    let nested = map.insert(&mut txn, "nested", MapPrelim::default());
    let deeper = nested.insert(&mut txn, "deeper", MapPrelim::default());
    deeper.insert(&mut txn, "leaf", who);
    let inner_list = nested.insert(&mut txn, "list", ArrayPrelim::default());
    inner_list.insert_range(&mut txn, 0, [1, 2, 3]);
    list.insert_range(&mut txn, 0, ["a", "b", "c", "d"]);
    list.push_back(&mut txn, nested_any(3));
    list.remove_range(&mut txn, 1, 2);
    text.insert(&mut txn, 0, "Hello, world! 😀 ünïcödé");
    let bold: Attrs = HashMap::from([("bold".into(), true.into())]);
    text.format(&mut txn, 0, 5, bold);
    text.insert_embed(&mut txn, 5, Any::from("image.png"));
    text.insert_with_attributes(
        &mut txn,
        0,
        who,
        HashMap::from([("color".into(), "#f00".into())]),
    );
    text.remove_range(&mut txn, 8, 3);
    let div = xml.insert(&mut txn, 0, XmlElementPrelim::empty("div"));
    div.insert_attribute(&mut txn, "class", "note");
    div.insert(&mut txn, 0, XmlTextPrelim::new("inner text"));
    div.insert(&mut txn, 1, XmlElementPrelim::empty("span"));
    let options = Options {
        guid: format!("{who}-subdoc").into(),
        auto_load: true,
        ..Options::default()
    };
    let sub = map.insert(&mut txn, "subdoc", Doc::with_options(options));
    drop(txn);
    sub.get_or_insert_text("body")
        .insert(&mut sub.transact_mut(), 0, "inside");
    let mut txn = doc.transact_mut();
    let doomed = map.insert(&mut txn, "doomed", MapPrelim::default());
    doomed.insert(&mut txn, "child", ArrayPrelim::default());
    doomed.insert(&mut txn, "value", "soon gone");
    map.remove(&mut txn, "doomed");
    map.remove(&mut txn, "float");
}

fn full_update(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&StateVector::default())
}

fn sync(from: &Doc, to: &Doc) {
    let update = from
        .transact()
        .encode_state_as_update_v1(&to.transact().state_vector());
    to.transact_mut()
        .apply_update(Update::decode_v1(&update).unwrap())
        .unwrap();
}

/// Named real updates from three yrs clients: full states, diffs, incremental updates,
/// a subdocument, and merged updates with gaps (Skip structs).
fn yrs_corpus() -> Vec<(String, Vec<u8>)> {
    let docs: Vec<Doc> = (1..=3).map(Doc::with_client_id).collect();
    let logs: Vec<UpdateLog> = docs.iter().map(record_updates).collect();
    edit_everything(&docs[0], "a");
    let before_b = docs[1].transact().state_vector();
    sync(&docs[0], &docs[1]);
    edit_everything(&docs[1], "b");
    edit_everything(&docs[2], "c");
    for (i, j) in [(1, 0), (2, 0), (0, 1), (0, 2)] {
        sync(&docs[i], &docs[j]);
    }
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        out.push((format!("full state of client {}", i + 1), full_update(doc)));
    }
    let diff = docs[0].transact().encode_state_as_update_v1(&before_b);
    out.push(("diff against an old state vector".into(), diff));
    let sub = docs[0]
        .get_or_insert_map("map")
        .get(&docs[0].transact(), "subdoc");
    if let Some(yrs::Out::YDoc(sub)) = sub {
        out.push(("subdocument state".into(), full_update(&sub)));
    }
    let incremental: Vec<Vec<u8>> = logs
        .iter()
        .flat_map(|l| l.lock().unwrap().clone())
        .collect();
    out.push(("merged updates with a gap".into(), merged_with_gap()));
    for (i, update) in incremental.into_iter().enumerate() {
        out.push((format!("incremental update {i}"), update));
    }
    out.push(("empty document".into(), full_update(&Doc::new())));
    out
}

/// Merges the first and third of three updates of one client, leaving a gap (a Skip struct).
fn merged_with_gap() -> Vec<u8> {
    let doc = Doc::with_client_id(9);
    let log = record_updates(&doc);
    let text = doc.get_or_insert_text("t");
    for chunk in ["one ", "two ", "three"] {
        let len = text.len(&doc.transact());
        text.insert(&mut doc.transact_mut(), len, chunk);
    }
    let log = log.lock().unwrap();
    yrs::merge_updates_v1([&log[0], &log[2]]).unwrap()
}

static YRS_CORPUS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(yrs_corpus);

// ---------------------------------------------------------------------------------------------
// Real updates produced by JS Yjs 13.6.33 (tests/js/node_modules/yjs): clients 11 and 22, a
// map of every value kind (numbers, bigint, strings, booleans, null, undefined, Uint8Array,
// nested objects), nested Y.Map/Y.Array, array deletes, formatted text with an embed, XML
// elements/text, a subdocument, a deleted nested map (GC), `encodeStateAsUpdate` states and
// diffs, every `doc.on('update')` update, and `mergeUpdates` of non-adjacent updates (Skip).
// Regenerate with a script doing the edits above and printing `Buffer.from(u).toString('hex')`.

const JS_UPDATES: &[(&str, &str)] = &[
    (
        "full_a",
        "02021600480b1101770666726f6d2062c40b180b2a024242250b002101016d03696e74012801016d036e6567017d472801016d05666c6f6174017c3fc000002801016d06646f75626c65017b3fb999999999999a2801016d03626967017a10000000000000002801016d0373747201770b68c3a96c6c6f20f09f98802801016d017401782801016d016601792801016d046e756c6c017e2801016d05756e646566017f2301016d0362696e030102032801016d036f626a017602016175037d017601016277016375017500016476002701016d066e65737465640127000b0c01780008000b0d037d01770374776f76010574687265657d03080103617272017d01810b1102880b13027704666f7572760104666976657d05830b15010904010174024865840b18036c6c6f810b1b03840b1e08726c6420f09f9880410b1701c60b250b1705636f6c6f7206222366303022c60b1b0b1c04626f6c64046e756c6cc60b270b1c05636f6c6f72046e756c6cc50b280b1c117b22696d616765223a22782e706e67227dc60b180b1904626f6c640474727565070103786d6c030364697628000b2b05636c6173730177016307000b2b0604000b2d05696e6e6572870b2d03047370616e2901016d03737562087375622d677569647602086175746f4c6f616478046d6574617601016b7701762101016d04676f6e65010002010b05000112021c0325013503",
    ),
    (
        "full_b",
        "02021600480b1101770666726f6d2062c40b180b2a024242250b002101016d03696e74012801016d036e6567017d472801016d05666c6f6174017c3fc000002801016d06646f75626c65017b3fb999999999999a2801016d03626967017a10000000000000002801016d0373747201770b68c3a96c6c6f20f09f98802801016d017401782801016d016601792801016d046e756c6c017e2801016d05756e646566017f2301016d0362696e030102032801016d036f626a017602016175037d017601016277016375017500016476002701016d066e65737465640127000b0c01780008000b0d037d01770374776f76010574687265657d03080103617272017d01810b1102880b13027704666f7572760104666976657d05830b15010904010174024865840b18036c6c6f810b1b03840b1e08726c6420f09f9880410b1701c60b250b1705636f6c6f7206222366303022c60b1b0b1c04626f6c64046e756c6cc60b270b1c05636f6c6f72046e756c6cc50b280b1c117b22696d616765223a22782e706e67227dc60b180b1904626f6c640474727565070103786d6c030364697628000b2b05636c6173730177016307000b2b0604000b2d05696e6e6572870b2d03047370616e2901016d03737562087375622d677569647602086175746f4c6f616478046d6574617601016b7701762101016d04676f6e65010002010b05000112021c0325013503",
    ),
    ("subdoc", "01010b000401017309696e20737562646f6300"),
    ("empty", "0000"),
    (
        "merged_with_skip",
        "01030b002801016d03696e74017d2a0a012801016d05666c6f6174017c3fc0000000",
    ),
    ("diff", "00010b05000112021c0325013503"),
    ("incr_0", "01010b002801016d03696e74017d2a00"),
    ("incr_1", "01010b012801016d036e6567017d4700"),
    ("incr_2", "01010b022801016d05666c6f6174017c3fc0000000"),
    (
        "incr_3",
        "01010b032801016d06646f75626c65017b3fb999999999999a00",
    ),
    ("incr_4", "01010b042801016d03626967017a100000000000000000"),
    (
        "incr_5",
        "01010b052801016d0373747201770b68c3a96c6c6f20f09f988000",
    ),
    ("incr_6", "01010b062801016d0174017800"),
    ("incr_7", "01010b072801016d0166017900"),
    ("incr_8", "01010b082801016d046e756c6c017e00"),
    ("incr_9", "01010b092801016d05756e646566017f00"),
    ("incr_10", "01010b0a2301016d0362696e0301020300"),
    (
        "incr_11",
        "01010b0b2801016d036f626a017602016175037d0176010162770163750175000164760000",
    ),
    ("incr_12", "01010b0c2701016d066e65737465640100"),
    ("incr_13", "01010b0d27000b0c01780000"),
    (
        "incr_14",
        "01010b0e08000b0d037d01770374776f76010574687265657d0300",
    ),
    (
        "incr_15",
        "01020b11080103617272057d017d027d037704666f7572760104666976657d05830b15010900",
    ),
    ("incr_16", "00010b011202"),
    (
        "incr_17",
        "01010b17040101741048656c6c6f20776f726c6420f09f988000",
    ),
    (
        "incr_18",
        "01040b25460b1704626f6c640474727565c60b250b1705636f6c6f7206222366303022c60b1b0b1c04626f6c64046e756c6cc60b270b1c05636f6c6f72046e756c6c00",
    ),
    (
        "incr_19",
        "01010b29c50b280b1c117b22696d616765223a22782e706e67227d00",
    ),
    ("incr_20", "00010b011c03"),
    (
        "incr_21",
        "01010b2ac60b180b1904626f6c640474727565010b012501",
    ),
    ("incr_22", "01010b2b070103786d6c030364697600"),
    ("incr_23", "01010b2c28000b2b05636c6173730177016300"),
    (
        "incr_24",
        "01030b2d07000b2b0604000b2d05696e6e6572870b2d03047370616e00",
    ),
    (
        "incr_25",
        "01010b342901016d03737562087375622d677569647602086175746f4c6f616478046d6574617601016b77017600",
    ),
    ("incr_26", "01010b352701016d04676f6e650100"),
    ("incr_27", "01010b3628000b350161017d0100"),
    ("incr_28", "01010b3727000b3501620000"),
    ("incr_29", "00010b013503"),
    (
        "incr_30",
        "01021600480b1101770666726f6d2062c40b180b2a024242010b010001",
    ),
];

/// The same document with a `Y.XmlHook`, whose name Yjs writes and yrs 0.28.1 does not read.
const JS_XML_HOOK_UPDATE: &str = "02021600480b1101770666726f6d2062c40b180b2a024242260b002101016d03696e74012801016d036e6567017d472801016d05666c6f6174017c3fc000002801016d06646f75626c65017b3fb999999999999a2801016d03626967017a10000000000000002801016d0373747201770b68c3a96c6c6f20f09f98802801016d017401782801016d016601792801016d046e756c6c017e2801016d05756e646566017f2301016d0362696e030102032801016d036f626a017602016175037d017601016277016375017500016476002701016d066e65737465640127000b0c01780008000b0d037d01770374776f76010574687265657d03080103617272017d01810b1102880b13027704666f7572760104666976657d05830b15010904010174024865840b18036c6c6f810b1b03840b1e08726c6420f09f9880410b1701c60b250b1705636f6c6f7206222366303022c60b1b0b1c04626f6c64046e756c6cc60b270b1c05636f6c6f72046e756c6cc50b280b1c117b22696d616765223a22782e706e67227dc60b180b1904626f6c640474727565070103786d6c030364697628000b2b05636c6173730177016307000b2b0604000b2d05696e6e6572870b2d03047370616e870b2b0504686f6f6b2901016d03737562087375622d677569647602086175746f4c6f616478046d6574617601016b7701762101016d04676f6e65010002010b05000112021c0325013603";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

static JS_CORPUS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(|| {
    JS_UPDATES
        .iter()
        .map(|(name, hex)| (format!("Yjs {name}"), unhex(hex)))
        .collect()
});

fn all_real_updates() -> impl Iterator<Item = &'static (String, Vec<u8>)> {
    YRS_CORPUS.iter().chain(JS_CORPUS.iter())
}

// ---------------------------------------------------------------------------------------------
// Completeness.

/// Accepts everything in `corpus` and checks that the corpus covers every kind of structure.
fn assert_corpus_accepted(corpus: &[(String, Vec<u8>)]) {
    let mut total = UpdateSummary::default();
    for (name, bytes) in corpus {
        let s = assert_accepted(name, bytes);
        assert_eq!(s.structs, s.items + s.gcs + s.skips, "{name}");
        assert_eq!(s.trailing_bytes, 0, "{name}");
        total.items += s.items;
        total.gcs += s.gcs;
        total.skips += s.skips;
        total.delete_ranges += s.delete_ranges;
        total.clients = total.clients.max(s.clients);
    }
    assert!(
        total.items > 50 && total.gcs > 0 && total.skips > 0,
        "{total:?}"
    );
    assert!(total.delete_ranges > 0 && total.clients >= 2, "{total:?}");
}

#[test]
fn every_yrs_update_is_accepted() {
    assert!(YRS_CORPUS.len() > 10);
    assert_corpus_accepted(&YRS_CORPUS);
}

#[test]
fn every_yjs_update_is_accepted() {
    assert_corpus_accepted(&JS_CORPUS);
}

/// yrs 0.28.1 reads no name after the XmlHook type ref (Yjs writes one), so it cannot decode a
/// Yjs update holding a `Y.XmlHook`; the validator, mirroring yrs, refuses it too.
#[test]
fn yjs_xml_hook_update_is_refused_like_yrs_refuses_it() {
    let bytes = unhex(JS_XML_HOOK_UPDATE);
    assert!(Update::decode_v1(&bytes).is_err());
    assert!(validate(&bytes).is_err());
}

#[test]
fn validation_allocates_nothing() {
    let mut hostile = vec![
        vec![0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 1, 2, 3],
        [vec![1, 1, 1, 0, 8, 1, 1, b'r', 1], [117, 1].repeat(10_000)].concat(),
        vec![0xFF; 4096],
    ];
    hostile.extend(all_real_updates().map(|(_, b)| b[..b.len() / 2].to_vec()));
    for bytes in all_real_updates().map(|(_, b)| b).chain(&hostile) {
        let (_, allocated) = allocated_by(|| validate(bytes));
        assert_eq!(allocated, 0, "{bytes:02x?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Soundness on hostile inputs.

#[test]
fn every_truncation_of_a_real_update_is_judged_soundly() {
    for (name, bytes) in all_real_updates() {
        let accepted = (0..bytes.len())
            .filter(|&n| assert_sound(&bytes[..n]).is_some())
            .count();
        // A strict prefix can only be valid where a count of zero ends it early.
        assert!(accepted <= 2, "{name}: {accepted} prefixes accepted");
    }
}

#[test]
fn huge_length_prefixes_are_rejected_at_every_position() {
    let huge = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
    for (_, bytes) in all_real_updates().take(40) {
        for at in 0..bytes.len() {
            let crafted = [&bytes[..at], &huge[..], &bytes[at..]].concat();
            // Only JSON error messages allocate (their text); nothing is sized by the input.
            let (_, allocated) = allocated_by(|| validate(&crafted));
            assert!(allocated < 1024, "{allocated} bytes allocated");
            assert_sound(&crafted);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for levels in [65, 10_000, 1_000_000] {
        let mut bytes = vec![1, 1, 1, 0, 8, 1, 1, b'r', 1];
        bytes.extend([117, 1].repeat(levels));
        bytes.extend([126, 0]);
        let err = validate(&bytes).unwrap_err();
        assert!(
            matches!(err, InvalidUpdate::TooDeep { max_depth: 64, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("nested deeper than 64 levels"),
            "{err}"
        );
    }
}

/// Applies byte-level mutations (positions are taken modulo the current length).
fn mutate(mut bytes: Vec<u8>, mutations: &[(u8, usize, u8)]) -> Vec<u8> {
    for &(kind, pos, byte) in mutations {
        let at = if bytes.is_empty() {
            0
        } else {
            pos % bytes.len()
        };
        match kind % 4 {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << (byte % 8),
            1 => bytes.insert(at, byte),
            2 if !bytes.is_empty() => {
                bytes.remove(at);
            }
            _ if !bytes.is_empty() => bytes[at] = byte,
            _ => bytes.push(byte),
        }
    }
    bytes
}

#[derive(Debug, Clone)]
enum Op {
    MapSet(String, Any),
    MapNested(String),
    MapRemove(String),
    ListInsert(u32, Any),
    ListRemove(u32),
    TextInsert(u32, String),
    TextRemove(u32, u32),
    TextFormat(u32, u32, bool),
}

fn any_strategy() -> impl Strategy<Value = Any> {
    let leaf = prop_oneof![
        Just(Any::Null),
        Just(Any::Undefined),
        any::<bool>().prop_map(Any::from),
        any::<i64>().prop_map(Any::from),
        any::<f64>().prop_map(Any::from),
        "\\PC{0,12}".prop_map(Any::from),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Any::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| Any::Array(v.into())),
            prop::collection::hash_map("\\PC{0,4}", inner, 0..4)
                .prop_map(|m| Any::Map(Arc::new(m))),
        ]
    })
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let key = "[a-c]{1,2}";
    prop_oneof![
        (key, any_strategy()).prop_map(|(k, v)| Op::MapSet(k, v)),
        key.prop_map(Op::MapNested),
        key.prop_map(Op::MapRemove),
        (any::<u32>(), any_strategy()).prop_map(|(i, v)| Op::ListInsert(i, v)),
        any::<u32>().prop_map(Op::ListRemove),
        // Characters of one UTF-16 unit each, so that every index is a boundary.
        (any::<u32>(), "[a-zäöü€中 ]{1,8}").prop_map(|(i, s)| Op::TextInsert(i, s)),
        (any::<u32>(), 1..4u32).prop_map(|(i, n)| Op::TextRemove(i, n)),
        (any::<u32>(), 1..4u32, any::<bool>()).prop_map(|(i, n, b)| Op::TextFormat(i, n, b)),
    ]
}

fn utf16_doc(client: u64) -> Doc {
    let mut options = Options::with_client_id(ClientID::new(client));
    options.offset_kind = OffsetKind::Utf16;
    Doc::with_options(options)
}

fn apply(doc: &Doc, op: Op) {
    let (map, list, text) = (
        doc.get_or_insert_map("m"),
        doc.get_or_insert_array("l"),
        doc.get_or_insert_text("t"),
    );
    let mut txn = doc.transact_mut();
    let (list_len, text_len) = (list.len(&txn), text.len(&txn));
    match op {
        Op::MapSet(k, v) => drop(map.insert(&mut txn, k, v)),
        Op::MapNested(k) => {
            let nested = map.insert(&mut txn, k, MapPrelim::default());
            nested.insert(&mut txn, "x", 1);
        }
        Op::MapRemove(k) => drop(map.remove(&mut txn, &k)),
        Op::ListInsert(i, v) => drop(list.insert(&mut txn, i % (list_len + 1), v)),
        Op::ListRemove(i) if list_len > 0 => list.remove(&mut txn, i % list_len),
        Op::TextInsert(i, s) => text.insert(&mut txn, i % (text_len + 1), &s),
        Op::TextRemove(i, n) if text_len > 0 => {
            let at = i % text_len;
            text.remove_range(&mut txn, at, n.min(text_len - at))
        }
        Op::TextFormat(i, n, bold) if text_len > 0 => {
            let at = i % text_len;
            let attrs: Attrs = HashMap::from([("bold".into(), Any::from(bold))]);
            text.format(&mut txn, at, n.min(text_len - at), attrs)
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_are_judged_soundly(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        assert_sound(&bytes);
    }

    #[test]
    fn structured_prefixes_never_panic_and_are_judged_soundly(
        head in prop::sample::select(vec![
            vec![1u8, 1, 1, 0, 8, 1, 1, b'r'],
            vec![1, 1, 1, 0, 9, 1, 1, b'r', 1, b'g'],
            vec![1, 1, 1, 0, 5, 1, 1, b'r'],
            vec![0],
            vec![1, 2, 1, 0],
        ]),
        tail in prop::collection::vec(
            prop_oneof![Just(0u8), Just(1), 116..128u8, any::<u8>()],
            0..256,
        ),
    ) {
        assert_sound(&[head, tail].concat());
    }

    #[test]
    fn mutated_real_updates_never_panic_and_are_judged_soundly(
        pick in any::<prop::sample::Index>(),
        mutations in prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6),
    ) {
        let corpus: Vec<_> = all_real_updates().collect();
        let (_, bytes) = corpus[pick.index(corpus.len())];
        assert_sound(&mutate(bytes.clone(), &mutations));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn updates_of_random_documents_are_accepted(
        ops_a in prop::collection::vec(op_strategy(), 1..24),
        ops_b in prop::collection::vec(op_strategy(), 0..24),
    ) {
        let (a, b) = (utf16_doc(7), utf16_doc(1 << 40));
        let (log_a, log_b) = (record_updates(&a), record_updates(&b));
        for op in ops_a {
            apply(&a, op);
        }
        sync(&a, &b);
        for op in ops_b {
            apply(&b, op);
        }
        sync(&b, &a);
        let mut updates = vec![full_update(&a), full_update(&b)];
        updates.extend(log_a.lock().unwrap().iter().cloned());
        updates.extend(log_b.lock().unwrap().iter().cloned());
        for bytes in &updates {
            let summary = assert_accepted("random document", bytes);
            prop_assert_eq!(summary.trailing_bytes, 0);
        }
    }
}
