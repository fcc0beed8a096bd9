//! Unguessable random bytes from the operating system, for person ids, share-link keys, the
//! admin key and the cookie secret.

/// `N` random bytes. The operating system's generator does not fail on Linux once booted; if
/// it ever does, the request that needed the bytes fails, rather than using weak ones.
pub fn bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut out = [0; N];
    getrandom::fill(&mut out)?;
    Ok(out)
}

/// A fresh share-link key (or admin key).
pub fn key() -> Result<String, getrandom::Error> {
    Ok(huddle_shared::access::key(bytes()?))
}

/// A fresh person id.
pub fn person_id() -> Result<String, getrandom::Error> {
    Ok(huddle_shared::access::person_id(bytes()?))
}
