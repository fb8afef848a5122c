//! HTTP requests by method, route template and status, with a latency histogram, recorded by
//! the [`RecordHttp`] middleware around the whole application.
//!
//! The route label is the template the router matched (`/api/downloads/{id}`), never the raw
//! path: poem's router leaves the matched pattern (`PathPattern`, with `:param0` for each
//! variable) on the response, and [`RouteTemplates`] maps it to the OpenAPI spelling. The
//! templates are built once at start-up, so a request costs a lookup over a few dozen short
//! slices and a reference-count increment — no string is formatted or allocated. A request
//! no route matched (404s, files of the web page) is `other`.

use poem::{Endpoint, IntoResponse, Middleware, PathPattern, Request, Response, http::Method};
use prometheus_client::{
    encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Registry, Unit},
};
use std::{sync::Arc, time::Instant};

/// A route template, shared by every label set that names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteLabel(Arc<str>);

impl RouteLabel {
    #[cfg(test)]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl EncodeLabelValue for RouteLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&&*self.0, encoder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: RouteLabel,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LatencyLabels {
    method: &'static str,
    route: RouteLabel,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// 5 ms to about 20 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily<LatencyLabels>,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
        }
    }
}

impl HttpMetrics {
    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            self.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (until the response head; a live event stream's body is not included), by method and route template",
            Unit::Seconds,
            self.latency.clone(),
        );
    }

    fn record(&self, method: &'static str, route: RouteLabel, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&LatencyLabels {
                method,
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }
}

/// One template: its label and its segments (`None` for a `{variable}`).
#[derive(Debug)]
struct Template {
    label: RouteLabel,
    segments: Vec<Option<Box<str>>>,
}

/// The route templates the application serves, to name a matched path pattern.
#[derive(Debug)]
pub struct RouteTemplates {
    templates: Vec<Template>,
    /// Everything under this prefix is one route (Swagger UI's files).
    docs: RouteLabel,
    other: RouteLabel,
}

impl RouteTemplates {
    /// From OpenAPI-style templates (`/api/downloads/{id}`); `docs_prefix` (`/docs`) stands
    /// for everything beneath it.
    pub fn new<'a>(templates: impl IntoIterator<Item = &'a str>, docs_prefix: &str) -> Self {
        let templates = templates
            .into_iter()
            .map(|template| Template {
                label: RouteLabel(Arc::from(template)),
                segments: segments(template)
                    .map(|s| {
                        (!(s.starts_with('{') && s.ends_with('}'))).then(|| Box::<str>::from(s))
                    })
                    .collect(),
            })
            .collect();
        Self {
            templates,
            docs: RouteLabel(Arc::from(docs_prefix)),
            other: RouteLabel(Arc::from("other")),
        }
    }

    /// The label of a request: the template its matched pattern (poem's spelling, `:name` for a
    /// variable) stands for, or `other`. `is_root`: the request's own path is `/`. The
    /// catch-all that nests the API at `/` leaves an empty pattern on what it did not match,
    /// which must not pass for the root route.
    pub(super) fn label(&self, pattern: Option<&str>, is_root: bool) -> RouteLabel {
        let Some(pattern) = pattern else {
            return self.other.clone();
        };
        let docs = self.docs.0.trim_start_matches('/');
        if segments(pattern).next() == Some(docs) {
            return self.docs.clone();
        }
        if segments(pattern).next().is_none() && !is_root {
            return self.other.clone();
        }
        self.templates
            .iter()
            .find(|t| {
                let mut given = segments(pattern);
                t.segments
                    .iter()
                    .all(|expected| match (expected, given.next()) {
                        (Some(literal), Some(seg)) => **literal == *seg,
                        (None, Some(seg)) => seg.starts_with(':'),
                        (_, None) => false,
                    })
                    && given.next().is_none()
            })
            .map_or_else(|| self.other.clone(), |t| t.label.clone())
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Middleware recording every request (outermost, so the status is what the client got).
pub struct RecordHttp {
    pub metrics: HttpMetrics,
    pub routes: Arc<RouteTemplates>,
}

impl<E: Endpoint> Middleware<E> for RecordHttp {
    type Output = RecordHttpEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RecordHttpEndpoint {
            inner,
            metrics: self.metrics.clone(),
            routes: self.routes.clone(),
        }
    }
}

pub struct RecordHttpEndpoint<E> {
    inner: E,
    metrics: HttpMetrics,
    routes: Arc<RouteTemplates>,
}

impl<E: Endpoint> Endpoint for RecordHttpEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let method = method_label(req.method());
        let is_root = req.uri().path() == "/";
        let started = Instant::now();
        let result = self.inner.call(req).await.map(IntoResponse::into_response);
        let seconds = started.elapsed().as_secs_f64();
        let (status, pattern) = match &result {
            Ok(response) => (response.status(), response.data::<PathPattern>()),
            Err(err) => (err.status(), err.data::<PathPattern>()),
        };
        let route = self.routes.label(pattern.map(|p| &*p.0), is_root);
        self.metrics.record(method, route, status.as_u16(), seconds);
        result
    }
}
