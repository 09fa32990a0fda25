//! A response body that passes every chunk on unchanged and keeps a reference to the
//! first `max_body_bytes` of them; when the body ends (or is dropped because the consumer
//! went away) the call is stored.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::Bytes;

use super::{CallRecord, Recorder, StoredBody};

/// The teeing body.
pub struct TeeBody {
    inner: BoxBody,
    kept: Vec<Bytes>,
    kept_len: usize,
    sent: usize,
    call: Option<CallRecord>,
    store: Arc<Recorder>,
}

impl std::fmt::Debug for TeeBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeeBody")
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl TeeBody {
    /// Wraps `inner`; `call` is stored with the captured response when the body ends.
    pub fn new(inner: BoxBody, call: CallRecord, store: Arc<Recorder>) -> TeeBody {
        TeeBody {
            inner,
            kept: Vec::new(),
            kept_len: 0,
            sent: 0,
            call: Some(call),
            store,
        }
    }

    fn keep(&mut self, chunk: &Bytes) {
        self.sent += chunk.len();
        let cap = self.store.config().max_body_bytes;
        if self.kept_len < cap {
            let take = chunk.len().min(cap - self.kept_len);
            self.kept.push(chunk.slice(..take));
            self.kept_len += take;
        }
    }

    fn finish(&mut self, complete: bool) {
        let Some(mut call) = self.call.take() else {
            return;
        };
        let mut body = Vec::with_capacity(self.kept_len);
        for chunk in self.kept.drain(..) {
            body.extend_from_slice(&chunk);
        }
        call.response = StoredBody {
            bytes: Bytes::from(body),
            size: self.sent,
        };
        call.complete = complete;
        self.store.push(call);
    }
}

impl MessageBody for TeeBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.keep(&chunk);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish(false);
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                this.finish(true);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for TeeBody {
    fn drop(&mut self) {
        // An empty body may never be polled; anything else dropped early is incomplete.
        let complete = match self.inner.size() {
            BodySize::None => true,
            BodySize::Sized(n) => n == self.sent as u64,
            BodySize::Stream => false,
        };
        self.finish(complete);
    }
}
