//! A real Fanfare server on 127.0.0.1:0 over a real database (a SQLite file in a temporary
//! directory, or a fresh PostgreSQL database), and the HTTP client to speak to it.

use std::sync::Arc;

use fanfare_core::api_key::NewApiKey;
use fanfare_postgres::testing::TempDatabase;
use fanfare_server::{AppState, ServerConfig};
use fanfare_store::DynStore;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

enum Database {
    Sqlite(tempfile::TempDir),
    Postgres(TempDatabase),
}

impl Database {
    async fn open(&self) -> DynStore {
        match self {
            Self::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
                Arc::new(
                    fanfare_sqlite::SqliteStore::open(&url)
                        .await
                        .expect("SQLite"),
                )
            }
            Self::Postgres(db) => Arc::new(
                fanfare_postgres::PostgresStore::open(&db.url)
                    .await
                    .expect("PostgreSQL"),
            ),
        }
    }
}

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

pub struct TestApp {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base: String,
    pub client: reqwest::Client,
    /// A valid admin key, created directly in the store.
    pub api_key: String,
    pub store: DynStore,
    database: Database,
    config: ServerConfig,
    running: Option<Running>,
}

impl TestApp {
    /// `None` when the backend is not configured on this machine (PostgreSQL without
    /// `FANFARE_TEST_POSTGRES_URL`).
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, ServerConfig::default()).await
    }

    pub async fn spawn_with(backend: Backend, config: ServerConfig) -> Option<Self> {
        let database = match backend {
            Backend::Sqlite => Database::Sqlite(tempfile::tempdir().expect("temp dir")),
            Backend::Postgres => Database::Postgres(TempDatabase::create().await?),
        };
        let store = database.open().await;
        let key = NewApiKey::generate();
        store.create_api_key("tests", &key).await.expect("API key");
        let mut app = Self {
            base: String::new(),
            client: reqwest::Client::new(),
            api_key: key.secret,
            store,
            database,
            config,
            running: None,
        };
        app.start().await;
        Some(app)
    }

    async fn start(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        self.base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let mut config = self.config.clone();
        config.base_url = format!("{}/", self.base).parse().expect("base URL");
        let state = AppState::with_config(self.store.clone(), config);
        let task = tokio::spawn(fanfare_server::serve(listener, state, async {
            stopped.await.ok();
        }));
        self.running = Some(Running { stop, task });
    }

    /// Stops the server gracefully (which closes the store), as a SIGTERM would.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop.send(()).ok();
            running
                .task
                .await
                .expect("server task")
                .expect("server ran");
        }
    }

    /// A full restart: stop, reopen the database with a new pool, serve on a new port.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.store = self.database.open().await;
        self.start().await;
    }

    pub async fn cleanup(mut self) {
        self.stop().await;
        if let Database::Postgres(db) = &self.database {
            db.drop_database().await;
        }
    }

    /// Every text value of every table, as the database holds it right now: what an erasure
    /// test searches for leftovers of a fan.
    pub async fn all_stored_text(&self) -> String {
        use sqlx::{Column, Connection, Row};
        let mut out = String::new();
        match &self.database {
            Database::Sqlite(dir) => {
                let url = format!("sqlite://{}", dir.path().join("fanfare.db").display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for table in tables {
                    let rows = sqlx::query(&format!("SELECT * FROM \"{table}\""))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                    for row in rows {
                        for column in row.columns() {
                            let i = column.ordinal();
                            if let Ok(Some(text)) = row.try_get::<Option<String>, _>(i) {
                                out.push_str(&text);
                            } else if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>, _>(i) {
                                out.push_str(&String::from_utf8_lossy(&bytes));
                            }
                            out.push('\n');
                        }
                    }
                }
            }
            Database::Postgres(db) => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                )
                .fetch_all(&mut conn)
                .await
                .unwrap();
                for table in tables {
                    let rows: Vec<String> = sqlx::query_scalar(&format!(
                        "SELECT row_to_json(t)::text FROM \"{table}\" t"
                    ))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap();
                    for row in rows {
                        out.push_str(&row);
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    /// The SQLite file, for tests that need a second connection to it.
    pub fn sqlite_url(&self) -> Option<String> {
        match &self.database {
            Database::Sqlite(dir) => Some(format!(
                "sqlite://{}",
                dir.path().join("fanfare.db").display()
            )),
            Database::Postgres(_) => None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The `/metrics` page, as text.
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    /// A request with the admin key.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.api_key)
    }

    pub async fn create_campaign(&self, body: &Value) -> Response {
        self.admin(Method::POST, "/api/v1/campaigns")
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_json(&self, request: RequestBuilder, status: StatusCode) -> Value {
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), status);
        response.json().await.expect("JSON body")
    }
}

/// A client that reports redirects instead of following them (what a test of a `302` reads).
pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Asserts the error shape of the contract and returns the `error` object.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status for {code}");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.expect("JSON error body");
    let error = body["error"].clone();
    assert_eq!(error["code"], code, "{body}");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.len() > 10,
        "a message that says what to fix: {body}"
    );
    error
}

/// For scenarios that start their own server (a configuration of their own): `name::sqlite`
/// and `name::postgres` call `name(Backend)`, which returns early when the backend is absent.
#[macro_export]
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() { super::$name($crate::helpers::Backend::Sqlite).await }
                #[tokio::test]
                async fn postgres() { super::$name($crate::helpers::Backend::Postgres).await }
            }
        )*
    };
}

/// Runs each scenario against both backends: `sqlite::name` always, `postgres::name` when
/// `FANFARE_TEST_POSTGRES_URL` is set.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let mut app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    super::$scenario(&mut app).await;
                    app.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let Some(mut app) =
                        $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await
                    else {
                        eprintln!("skipped: FANFARE_TEST_POSTGRES_URL is not set");
                        return;
                    };
                    super::$scenario(&mut app).await;
                    app.cleanup().await;
                }
            )*
        }
    };
}
