//! The static assets (plain HTML, CSS, JavaScript, no build step), embedded in the binary.
//!
//! Each is served with its content type, a strong `ETag` (SHA-256 of the bytes) and
//! `Cache-Control: no-cache`, so browsers revalidate and get `304 Not Modified` while the
//! binary is unchanged.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ring::digest::{SHA256, digest};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

/// An [`Asset`] from `assets/<name>`.
macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../assets/", $name)),
        }
    };
}

const ASSETS: [Asset; 5] = [
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("portal.css", "text/css; charset=utf-8"),
    asset!("portal.js", "text/javascript; charset=utf-8"),
    asset!("chain.js", "text/javascript; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
];

/// `"<first 32 hex digits of SHA-256>"` per asset, in `ASSETS` order.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let d = digest(&SHA256, a.body);
            let hex = hex::encode(d.as_ref());
            format!("\"{}\"", hex.get(..32).unwrap_or(&hex))
        })
        .collect()
});

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some((i, asset)) = ASSETS.iter().enumerate().find(|(_, a)| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = ETAGS.get(i).map(String::as_str).unwrap_or("\"\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    response
}

/// `GET /` and `GET /portal`: the page (login form, then the customer or operator view).
pub(crate) async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /portal/assets/{file}`.
pub(crate) async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    serve(&file, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_non_empty_and_tagged() {
        assert_eq!(ETAGS.len(), ASSETS.len());
        for (a, tag) in ASSETS.iter().zip(ETAGS.iter()) {
            assert!(!a.body.is_empty(), "{}", a.name);
            assert_eq!(tag.len(), 34, "{tag}");
        }
    }

    #[test]
    fn the_page_loads_only_embedded_same_origin_resources() {
        let html = String::from_utf8_lossy(ASSETS[0].body);
        for needle in ["http://", "https://", "//cdn", "<script>", " style="] {
            assert!(!html.contains(needle), "index.html contains {needle:?}");
        }
        for a in &ASSETS[1..] {
            if a.name.ends_with(".js") || a.name.ends_with(".css") {
                let text = String::from_utf8_lossy(a.body);
                assert!(
                    !text.contains("https://"),
                    "{} loads remote content",
                    a.name
                );
                assert!(!text.contains("innerHTML"), "{} writes raw HTML", a.name);
            }
        }
    }

    #[test]
    fn a_matching_etag_answers_not_modified() {
        let mut h = HeaderMap::new();
        let first = serve("portal.css", &h);
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers().get(header::ETAG).cloned();
        let Some(tag) = tag else {
            panic!("no etag");
        };
        h.insert(header::IF_NONE_MATCH, tag);
        assert_eq!(serve("portal.css", &h).status(), StatusCode::NOT_MODIFIED);
        assert_eq!(serve("../Cargo.toml", &h).status(), StatusCode::NOT_FOUND);
    }
}
