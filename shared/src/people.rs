//! A person as others see them: a display name and a colour. The server keeps each person's
//! profile; until a person picks a name they are "Guest NNNN", and their colour is derived
//! from their id, so both are stable without storing anything.

/// Longest display name, in characters: long enough for "Firstname Lastname (team)", short
/// enough for a cursor label and the people list.
pub const MAX_NAME_CHARS: usize = 40;

/// Cursor, avatar and selection colours: saturated, distinct from each other and from the
/// pastel note colours, readable as white-on-colour labels.
pub const COLORS: [&str; 8] = [
    "#e03131", // red
    "#1971c2", // blue
    "#2f9e44", // green
    "#f08c00", // orange
    "#9c36b5", // violet
    "#0c8599", // cyan
    "#c2255c", // pink
    "#5c940d", // lime
];

/// Guest numbers are four digits: short to read, and clashes on one board are unlikely.
const GUEST_NUMBERS: u64 = 9000;

/// A stable, well-spread hash of an id (not a secret, only a seed for defaults): FNV-1a,
/// then splitmix64's finaliser, since FNV alone spreads short ids poorly over the high bits.
fn seed(id: &str) -> u64 {
    let h = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The name of a person who has not chosen one: "Guest 1000" to "Guest 9999", from their id.
pub fn default_name(id: &str) -> String {
    format!("Guest {}", 1000 + seed(id) % GUEST_NUMBERS)
}

/// The colour of a person who has not chosen one, from their id.
pub fn default_color(id: &str) -> &'static str {
    COLORS[(seed(id) >> 32) as usize % COLORS.len()]
}

/// A chosen display name, trimmed; `None` if it is empty, too long or holds control characters.
pub fn check_name(name: &str) -> Option<&str> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME_CHARS
        && !name.chars().any(char::is_control);
    ok.then_some(name)
}

/// A chosen colour: one of [`COLORS`] (any case).
pub fn check_color(color: &str) -> Option<&'static str> {
    COLORS
        .into_iter()
        .find(|c| c.eq_ignore_ascii_case(color.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_stable_and_in_range() {
        let name = default_name("abc");
        assert_eq!(name, default_name("abc"));
        let n: u64 = name.strip_prefix("Guest ").unwrap().parse().unwrap();
        assert!((1000..=9999).contains(&n));
        assert!(COLORS.contains(&default_color("abc")));
        let colors: std::collections::HashSet<_> =
            (0..100).map(|i| default_color(&i.to_string())).collect();
        assert!(colors.len() > 4, "ids spread over the palette");
    }

    #[test]
    fn names_and_colours_are_checked() {
        assert_eq!(check_name("  Ana  "), Some("Ana"));
        assert_eq!(check_name(""), None);
        assert_eq!(check_name("   "), None);
        assert_eq!(check_name(&"x".repeat(41)), None);
        assert_eq!(check_name("a\u{7}b"), None);
        assert_eq!(check_color("#E03131"), Some("#e03131"));
        assert_eq!(check_color("#000000"), None);
    }
}
