//! Reading a server frame without decoding its content, for receivers that apply updates
//! later ([`Apply::Later`](super::replica::Apply)): a live update's sender and first clock
//! (what the ledger needs to tell which edit it is), and an awareness frame's (client, clock)
//! pairs without parsing each state's JSON. A frame that is anything else, or holds more than
//! one message, is `None`: the caller decodes it in full.
//!
//! In W2's 500-client room every receiver gets about 500 updates and 20 awareness frames of
//! up to 500 states a second; decoding and integrating all of that as it arrives takes the
//! generator's one core several times over, so the generator, not the server, set the
//! latencies. Reading the headers is what a receiver must do to time and count deliveries.

use huddle_shared::wire::lib0::{ReadError, Reader};

/// y-protocols message types and the sync message's update subtype.
const MSG_SYNC: u64 = 0;
const MSG_AWARENESS: u64 = 1;
const SYNC_UPDATE: u64 = 2;

/// What a frame holds, read lightly.
#[derive(Debug, PartialEq, Eq)]
pub enum Light<'a> {
    /// A live update written by one client, whose blocks start at `clock`.
    Update {
        payload: &'a [u8],
        client: u64,
        clock: u32,
    },
    /// An awareness update: each state's client id and clock, in frame order.
    Awareness(Vec<(u64, u32)>),
}

/// Reads `frame` lightly; `None` if it is not one live single-client update or one awareness
/// update (or does not parse: the full decode reports why).
pub fn read(frame: &[u8]) -> Option<Light<'_>> {
    read_checked(frame).ok().flatten()
}

fn read_checked(frame: &[u8]) -> Result<Option<Light<'_>>, ReadError> {
    let mut r = Reader::new(frame);
    let light = match r.read_var_u64()? {
        MSG_SYNC => {
            if r.read_var_u64()? != SYNC_UPDATE {
                return Ok(None);
            }
            let payload = r.read_var_buf()?;
            let mut u = Reader::new(payload);
            if u.read_var_u64()? != 1 {
                return Ok(None); // no blocks, or several writers: decode in full
            }
            let _blocks = u.read_var_u64()?;
            let client = u.read_var_u64()?;
            let Ok(clock) = u32::try_from(u.read_var_u64()?) else {
                return Ok(None);
            };
            Light::Update {
                payload,
                client,
                clock,
            }
        }
        MSG_AWARENESS => {
            let mut a = Reader::new(r.read_var_buf()?);
            let count = a.read_var_u64()?;
            // Each entry takes at least 3 bytes: a bound before reserving.
            let mut entries = Vec::with_capacity((count as usize).min(a.remaining() / 3));
            for _ in 0..count {
                let client = a.read_var_u64()?;
                let Ok(clock) = u32::try_from(a.read_var_u64()?) else {
                    return Ok(None);
                };
                a.read_var_buf()?; // the state's JSON, not looked at
                entries.push((client, clock));
            }
            Light::Awareness(entries)
        }
        _ => return Ok(None),
    };
    Ok(r.is_empty().then_some(light))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use huddle_shared::wire;
    use yrs::block::ClientID;
    use yrs::sync::awareness::{AwarenessUpdate, AwarenessUpdateEntry};
    use yrs::{Doc, Map, ReadTxn, Transact};

    use super::*;

    #[test]
    fn an_update_gives_its_writer_and_first_clock() {
        let doc = Doc::with_client_id(1_000_007);
        let map = doc.get_or_insert_map("items");
        let edit = |key: &str| {
            let mut txn = doc.transact_mut();
            map.insert(&mut txn, key, 1.5);
            txn.encode_update_v1()
        };
        let first = edit("a");
        let clock = doc.transact().state_vector().get(&ClientID::new(1_000_007));
        let second = edit("b");
        let frame = wire::encode_update(&second);
        assert_eq!(
            read(&frame),
            Some(Light::Update {
                payload: &second[..],
                client: 1_000_007,
                clock,
            })
        );
        assert!(clock > 0);
        // The first update starts at clock 0.
        let frame = wire::encode_update(&first);
        assert!(matches!(read(&frame), Some(Light::Update { clock: 0, .. })));
        // Other messages, and a frame with bytes after its message, are left to the full decode.
        assert_eq!(read(&wire::encode_sync_step2(&second)), None);
        let mut longer = wire::encode_update(&second);
        longer.push(0);
        assert_eq!(read(&longer), None);
        assert_eq!(read(&frame[..frame.len() - 1]), None);
    }

    #[test]
    fn an_awareness_frame_gives_every_client_and_clock() {
        let update = AwarenessUpdate {
            clients: HashMap::from([
                (
                    ClientID::new(5),
                    AwarenessUpdateEntry {
                        clock: 3,
                        json: r#"{"cursor":[1,2]}"#.into(),
                    },
                ),
                (
                    ClientID::new(1 << 40),
                    AwarenessUpdateEntry {
                        clock: 9,
                        json: "null".into(),
                    },
                ),
            ]),
        };
        let Some(Light::Awareness(mut entries)) = read(&wire::encode_awareness(&update)) else {
            panic!("not read as awareness");
        };
        entries.sort();
        assert_eq!(entries, vec![(5, 3), (1 << 40, 9)]);
    }
}
