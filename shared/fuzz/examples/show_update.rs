//! Prints a y-sync frame's updates as yrs reads them (blocks, skips, delete set): for looking
//! at what a fuzzer found. Usage: `cargo +nightly run --example show_update -- FILE`
fn main() {
    let path = std::env::args().nth(1).expect("a file");
    let frame = std::fs::read(&path).expect("readable");
    let limits = huddle_shared::wire::Limits::default();
    for message in huddle_shared::wire::decode_frame(&frame, &limits).expect("a frame") {
        match message {
            huddle_shared::wire::Message::Update(u) | huddle_shared::wire::Message::SyncStep2(u) => {
                let update = huddle_shared::wire::decode_update(&u).expect("decodes");
                println!("{update:#?}");
                println!("{update}");
            }
            other => println!("{other:?}"),
        }
    }
}
