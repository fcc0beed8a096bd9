//! [`start`]: a future that runs from now on and is awaited later, so that start-up requests
//! that do not depend on each other (the person, the role, the local copy, the board's first
//! view) go out side by side instead of one after another. The page has no async runtime but
//! the browser's, and needs no more than this.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::JsCast;

/// The result of a started future, once it is there.
pub struct Started<T>(Rc<RefCell<Slot<T>>>);

struct Slot<T> {
    value: Option<T>,
    /// Who awaits it, woken when the value arrives.
    waker: Option<Waker>,
}

/// Runs `work` on the page's event loop from now on; await the result when it is needed.
pub fn start<T: 'static>(work: impl Future<Output = T> + 'static) -> Started<T> {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
    }));
    let fill = Rc::clone(&slot);
    wasm_bindgen_futures::spawn_local(async move {
        let value = work.await;
        let waker = {
            let mut slot = fill.borrow_mut();
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    Started(slot)
}

impl<T> Future for Started<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut slot = self.0.borrow_mut();
        match slot.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Resolves after `ms` milliseconds (a browser timer: in a background tab, later).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Ok(window) = crate::dom::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
