//! Request body limits (SEC-34): a declared `Content-Length` over the limit is answered 413
//! before anything is read; a body without one (chunked) is cut at the limit, so an endless
//! stream cannot exhaust memory — the truncated body then fails to parse with a 4xx.

use poem::{Body, Endpoint, Middleware, Request, Result, http::header};

pub struct BodyLimit {
    /// The default limit.
    pub default_bytes: usize,
    /// A larger limit for paths starting with the given prefix (plugin uploads).
    pub large: (&'static str, usize),
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        BodyLimitEndpoint {
            inner: ep,
            default_bytes: self.default_bytes,
            large: self.large,
        }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    default_bytes: usize,
    large: (&'static str, usize),
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = E::Output;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let limit = if req.uri().path().starts_with(self.large.0) {
            self.large.1
        } else {
            self.default_bytes
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        match declared {
            Some(len) if len > limit as u64 => {
                return Err(poem::Error::from_status(
                    poem::http::StatusCode::PAYLOAD_TOO_LARGE,
                ));
            }
            Some(_) => {}
            None => {
                let body = req.take_body();
                let limited = tokio::io::AsyncReadExt::take(body.into_async_read(), limit as u64);
                req.set_body(Body::from_async_read(limited));
            }
        }
        self.inner.call(req).await
    }
}
