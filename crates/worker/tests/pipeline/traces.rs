//! One trace per export, from the request through the outbox and RabbitMQ to the worker's job
//! and its SMTP call: both processes send their spans to an OTLP/HTTP receiver this test serves,
//! and every one of those spans carries the trace id the client sent.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::helpers::*;

/// What an OTLP collector would receive: the JSON bodies of `POST /v1/traces`.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start() -> Self {
        let bodies: Arc<Mutex<Vec<Value>>> = Arc::default();
        let sink = web::Data::new(bodies.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(sink.clone())
                .app_data(web::PayloadConfig::new(64 << 20))
                .route(
                    "/v1/traces",
                    web::post().to(
                        |sink: web::Data<Arc<Mutex<Vec<Value>>>>, body: web::Bytes| async move {
                            if let Ok(value) = serde_json::from_slice(&body) {
                                sink.lock().expect("lock").push(value);
                            }
                            HttpResponse::Ok().json(json!({}))
                        },
                    ),
                )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self { url, bodies }
    }

    /// Every span received: (service, name, trace id, span id, parent span id).
    fn spans(&self) -> Vec<(String, String, String, String, String)> {
        let mut spans = Vec::new();
        for body in self.bodies.lock().expect("lock").iter() {
            for resource in body["resourceSpans"].as_array().into_iter().flatten() {
                let service = resource["resource"]["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["key"] == "service.name")
                    .and_then(|a| a["value"]["stringValue"].as_str())
                    .unwrap_or_default()
                    .to_owned();
                for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                    for span in scope["spans"].as_array().into_iter().flatten() {
                        let text =
                            |field: &str| span[field].as_str().unwrap_or_default().to_owned();
                        spans.push((
                            service.clone(),
                            text("name"),
                            text("traceId").to_lowercase(),
                            text("spanId").to_lowercase(),
                            text("parentSpanId").to_lowercase(),
                        ));
                    }
                }
            }
        }
        spans
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_trace_follows_an_export_from_the_request_through_the_queue_to_the_smtp_server() {
    let receiver = Receiver::start();
    let stack = Stack::new(|s| {
        s.log.otlp_endpoint = receiver.url.clone();
        s.log.otlp_flush_ms = 200;
    })
    .await;
    let api = stack.api().await;
    let _worker = stack.spawn_worker();
    let (token, playlist, _) = api.listener_with_playlist("listener").await;

    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller = "00f067aa0ba902b7";
    let response = api
        .http
        .post(format!("{}/export/playlists/{playlist}", api.address))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace}-{caller}-01"))
        .json(&json!({"targetEmail": "listener@example.com"}))
        .send()
        .await
        .expect("export");
    let body: Value = response.json().await.expect("json");
    let job = body["data"]["jobId"].as_str().expect("jobId").to_owned();
    assert_eq!(
        api.wait_job(&token, &job, Duration::from_secs(30)).await["status"],
        "succeeded"
    );
    stack.smtp.wait_for(1, Duration::from_secs(30)).await;

    fn wanted(
        service: &'static str,
        name: &'static str,
    ) -> impl Fn(&(String, String, String, String, String)) -> bool {
        move |s| s.0 == service && s.1 == name
    }
    let started = Instant::now();
    let spans = loop {
        let spans = receiver.spans();
        let ours: Vec<_> = spans.iter().filter(|s| s.2 == trace).cloned().collect();
        if ours.iter().any(wanted("backbeat-api", "request"))
            && ours.iter().any(wanted("backbeat-worker", "job"))
            && ours.iter().any(wanted("backbeat-worker", "smtp send"))
        {
            break ours;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the trace never arrived whole: ours {ours:#?}, of {:?}",
            spans.iter().map(|s| (&s.0, &s.1, &s.4)).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // The request is the caller's child; the job is a child of a span of the request; the SMTP
    // call is the job's.
    let find = |service: &str, name: &str| {
        spans
            .iter()
            .find(|s| s.0 == service && s.1 == name)
            .cloned()
            .expect("span")
    };
    let request = find("backbeat-api", "request");
    assert_eq!(request.4, caller, "{spans:#?}");
    let job_span = find("backbeat-worker", "job");
    let api_spans: Vec<&String> = spans
        .iter()
        .filter(|s| s.0 == "backbeat-api")
        .map(|s| &s.3)
        .collect();
    assert!(
        api_spans.contains(&&job_span.4),
        "the job's parent is a span of the request: {spans:#?}"
    );
    let smtp = find("backbeat-worker", "smtp send");
    let worker_spans: Vec<&String> = spans
        .iter()
        .filter(|s| s.0 == "backbeat-worker")
        .map(|s| &s.3)
        .collect();
    assert!(
        smtp.4 == job_span.3 || worker_spans.contains(&&smtp.4),
        "the SMTP call is inside the job: {spans:#?}"
    );
}
