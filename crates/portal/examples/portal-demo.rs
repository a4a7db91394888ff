//! The portal over the in-memory demo chain (the 2015 ShowNet layout), to try the pages
//! without switches:
//!
//! ```sh
//! cargo run -p flowfall-portal --example portal-demo            # http://127.0.0.1:8081/
//! cargo run -p flowfall-portal --example portal-demo -- 127.0.0.1:9000
//! ```
//!
//! Log in with the tokens it prints. Not for production: the tokens are fixed.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;

use flowfall_portal::demo::DemoBackend;
use flowfall_portal::{PortalConfig, router};

const CONFIG: &str = r#"
[operators]
noc = "demo-operator-token"

[customers.exhibitor01]
token = "demo-exhibitor01-token"
allowed_services = ["analysis", "ddos"]

[customers.exhibitor02]
token = "demo-exhibitor02-token"

[customers.exhibitor03]
token = "demo-exhibitor03-token"
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "flowfall_portal=info".into()),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8081".into())
        .parse()?;
    let app = router(
        Arc::new(DemoBackend::shownet()),
        PortalConfig::from_toml_str(CONFIG)?,
    )?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("FlowFall portal demo on http://{}/", listener.local_addr()?);
    println!("  operator token:     demo-operator-token");
    println!("  customer tokens:    demo-exhibitor01-token (may toggle analysis, ddos),");
    println!("                      demo-exhibitor02-token, demo-exhibitor03-token");
    axum::serve(listener, app).await?;
    Ok(())
}
