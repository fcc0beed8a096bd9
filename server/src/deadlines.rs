//! Rounds close themselves at their deadline, also when nobody has the board open and after
//! the server was down at that moment. A loaded room closes its own overdue rounds on its
//! tick; this task loads the board of any overdue round that is not loaded (the room closes
//! such rounds as it loads), once a second, from the store's deadline index.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::store::now_ms;

/// How often the deadline index is read: a round closes at most this late.
const CHECK_EVERY: Duration = Duration::from_secs(1);

pub async fn run(state: AppState, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        let store = state.store.clone();
        let due = tokio::task::spawn_blocking(move || {
            let mut due = Vec::new();
            for board in store.boards_past_deadline(now_ms())? {
                if store.board_meta(&board)?.is_some() {
                    due.push(board);
                } else {
                    store.forget_deadlines_of(&board)?; // deleted meanwhile
                }
            }
            Ok::<_, crate::store::StoreError>(due)
        })
        .await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::error!("cannot read round deadlines: {e}");
                continue;
            }
            Err(_) => continue,
        };
        for board in due {
            if shutdown.is_cancelled() {
                return;
            }
            if state.rooms.get(&board).is_none() {
                tracing::info!(board = %board, "loading a board to close a round at its deadline");
                state.rooms.get_or_start(&board, &state.room_context());
            }
        }
    }
}
