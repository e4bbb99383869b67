//! `progress`: the progress of background jobs, streamed to a browser (async-std).
//!
//! It shows one [`Hub`] per job, kept in a map the router shares with the jobs: a job
//! publishes `progress` events, then `done`, then closes its hub, which ends the streams
//! cleanly. It runs on async-std ([`AsyncStd`]); the same library code runs on smol.
//!
//! - `POST /jobs` starts a job and answers `201` with `{"id":1,"events":"/jobs/1/events"}`;
//!   `GET /jobs` lists the jobs.
//! - `GET /jobs/{id}/events` streams `event: progress` with `{"percent":40,"stage":"…"}`,
//!   then `event: done` with `{"id":1,"result":"ok"}`, and ends.
//! - `/` is a page with a button that starts jobs and shows a progress bar for each.
//!
//! A stream that ends makes a browser's `EventSource` reconnect, so what a job's stream answers
//! depends on what the client has seen (its `Last-Event-ID`):
//!
//! - the job's last event, and the job is over: `204 No Content`, which tells a browser (and
//!   `sse-cat`) to stop for good;
//! - anything else: the hub's stream, which replays what the client missed (everything so
//!   far for a new client: the job's hubs have [`HubConfig::replay_to_new`]) and goes on live,
//!   or ends once the job is over;
//! - a job that does not exist (or finished long ago and was forgotten): `404`.
//!
//! ```text
//! cargo run -p ssewire-examples --bin progress -- --addr 127.0.0.1:8081
//! # open http://127.0.0.1:8081/, or:
//! curl -X POST http://127.0.0.1:8081/jobs
//! curl -N http://127.0.0.1:8081/jobs/1/events
//! ```
//!
//! The first line on stdout is `listening on http://ADDR/`.

use std::collections::HashMap;
use std::process::exit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use clap::Parser;
use serde::Serialize;
use ssewire_examples::{positive, print_listening, Rng};
use ssewire_futures::rt::AsyncStd;
use ssewire_futures::server::{self, Reply, Request, Route, Server};
use ssewire_futures::{Event, Hub, HubConfig};

/// progress: job progress over Server-Sent Events (async-std)
///
/// POST /jobs starts a simulated job and answers {"id":N,"events":"/jobs/N/events"};
/// GET /jobs/N/events streams its `progress` events ({"percent":…,"stage":…}), then `done`, and
/// ends; a client that saw the end and comes back gets 204 No Content. / is a page that starts
/// jobs and shows their progress.
/// Prints `listening on http://ADDR/` on stdout first.
#[derive(Clone, Debug, PartialEq, Eq, Parser)]
#[command(
    verbatim_doc_comment,
    args_override_self = true,
    after_help = "Exit status: 0 never (it runs until killed), 1 if it cannot listen, 2 for a bad command line."
)]
struct Options {
    /// Address to listen on; port 0 picks one
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
    addr: String,
    /// Time between progress steps of a job, in milliseconds
    #[arg(long = "step-ms", value_name = "MS", default_value_t = 200,
          value_parser = positive)]
    step_ms: u64,
    /// Reconnection time sent to clients (`retry:`), in milliseconds
    #[arg(long = "retry-ms", value_name = "MS", default_value_t = 1000)]
    retry_ms: u64,
    /// A finished job is forgotten (404) after this many seconds
    #[arg(long = "forget-after-secs", value_name = "S", default_value_t = 600)]
    forget_after_secs: u64,
}

/// The stages of a job, each up to this percentage.
const STAGES: [(&str, u8); 4] = [
    ("queued", 5),
    ("downloading", 40),
    ("processing", 85),
    ("uploading", 100),
];

/// The data of a `progress` event.
#[derive(Serialize)]
struct Progress<'a> {
    percent: u8,
    stage: &'a str,
}

/// The data of the `done` event.
#[derive(Serialize)]
struct Done {
    id: u64,
    result: &'static str,
    elapsed_ms: u128,
}

/// What `POST /jobs` answers.
#[derive(Serialize)]
struct Created {
    id: u64,
    events: String,
}

/// A job in `GET /jobs`.
#[derive(Serialize)]
struct Summary {
    id: u64,
    finished: bool,
}

/// A job, as the router and the job's task share it.
struct Job {
    /// Its events: each stream of the job subscribes here, and gets the job's events so far.
    hub: Hub,
    /// Whether it published `done` and closed its hub.
    finished: bool,
}

#[derive(Clone, Default)]
struct Jobs {
    map: Arc<Mutex<HashMap<u64, Job>>>,
    next_id: Arc<AtomicU64>,
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Job>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a job running in steps of `step`; its ID.
    fn start(&self, step: Duration, forget_after: Duration) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let job = Job {
            hub: job_hub(),
            finished: false,
        };
        self.lock().insert(id, job);
        async_std::task::spawn(run_job(self.clone(), id, step, forget_after));
        id
    }

    /// Publishes `event` to job `id`.
    fn publish(&self, id: u64, event: Event) {
        let hub = self.lock().get(&id).map(|job| job.hub.clone());
        if let Some(Err(error)) = hub.map(|hub| hub.publish(event)) {
            eprintln!("progress: job {id}: {error}");
        }
    }

    /// Ends job `id`: its streams end once they have sent everything.
    fn finish(&self, id: u64) {
        if let Some(job) = self.lock().get_mut(&id) {
            job.hub.close();
            job.finished = true;
        }
    }

    /// `GET /jobs`: `[{"id":1,"finished":true},…]`.
    fn list(&self) -> String {
        let jobs = self.lock();
        let mut list: Vec<Summary> = jobs
            .iter()
            .map(|(&id, job)| Summary {
                id,
                finished: job.finished,
            })
            .collect();
        list.sort_unstable_by_key(|job| job.id);
        json_line(&list)
    }

    /// What `GET /jobs/{id}/events` gets, for a client that last saw `last_event_id`.
    fn stream(&self, id: u64, last_event_id: Option<&str>) -> Route {
        let jobs = self.lock();
        let Some(job) = jobs.get(&id) else {
            return Route::NotFound;
        };
        match last_event_id {
            // It has seen the end: tell it to stop reconnecting.
            Some(last) if job.finished && job.hub.newest_id().as_deref() == Some(last) => {
                Route::Reply(Reply::no_content())
            }
            // The hub replays what it missed (all so far, for a new client), then streams (or
            // ends, if closed).
            _ => Route::Stream(job.hub.clone()),
        }
    }
}

/// The hub of a job: a job publishes a few dozen small events, all kept, and a client that
/// comes in late gets them all first.
fn job_hub() -> Hub {
    Hub::new(HubConfig::new().replay(256, 64 * 1024).replay_to_new(true))
}

/// Runs job `id`: `progress` events through the stages, `done`, and the end of its hub.
async fn run_job(jobs: Jobs, id: u64, step: Duration, forget_after: Duration) {
    let started = Instant::now();
    let mut rng = Rng::from_time();
    let mut percent = 0;
    jobs.publish(id, progress(percent, STAGES[0].0));
    for (stage, until) in STAGES {
        while percent < until {
            async_std::task::sleep(step).await;
            // At most 10 more: `u8` arithmetic cannot overflow under 100.
            percent = (percent + rng.range(2, 10) as u8).min(until);
            jobs.publish(id, progress(percent, stage));
        }
    }
    let done = Done {
        id,
        result: "ok",
        elapsed_ms: started.elapsed().as_millis(),
    };
    jobs.publish(id, json_event(&done).event("done"));
    jobs.finish(id);
    async_std::task::sleep(forget_after).await;
    jobs.lock().remove(&id);
}

/// The event of `data`, as JSON.
fn json_event(data: &impl Serialize) -> Event {
    // The data types here are structs of numbers and strings: serializing them cannot fail.
    Event::json_data(data).expect("JSON of a plain struct")
}

/// `value` as JSON, with a line ending for curl.
fn json_line(value: &impl Serialize) -> String {
    let mut json = serde_json::to_string(value).expect("JSON of a plain struct");
    json.push('\n');
    json
}

fn progress(percent: u8, stage: &str) -> Event {
    json_event(&Progress { percent, stage }).event("progress")
}

/// The job ID in `/jobs/{id}/events`.
fn events_path(path: &str) -> Option<u64> {
    let id = path.strip_prefix("/jobs/")?.strip_suffix("/events")?;
    // `parse` takes a leading `+`; an ID is digits only.
    id.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| id.parse().ok())?
}

/// The reply, or a `500` saying why a header of it was refused.
fn reply_or_500(reply: Result<Reply, ssewire::http::WriteError>) -> Route {
    Route::Reply(reply.unwrap_or_else(|error| Reply::text(500, format!("{error}\n"))))
}

fn main() {
    let options = Options::parse();
    let jobs = Jobs::default();
    let config = server::Config::new().retry(options.retry_ms);
    let step = Duration::from_millis(options.step_ms);
    let forget_after = Duration::from_secs(options.forget_after_secs);
    let router = move |request: &Request| match (request.method.as_str(), request.path()) {
        (_, "/") => Route::Reply(Reply::html(include_str!("../../static/progress.html"))),
        ("POST", "/jobs") => {
            let id = jobs.start(step, forget_after);
            let events = format!("/jobs/{id}/events");
            let body = json_line(&Created { id, events });
            let created = Reply::new(201, "application/json", body.into_bytes());
            reply_or_500(created.header("Location", format!("/jobs/{id}")))
        }
        ("GET", "/jobs") => Route::Reply(Reply::json(jobs.list())),
        (_, "/jobs") => {
            reply_or_500(Reply::text(405, "use POST to start a job\n").header("Allow", "GET, POST"))
        }
        (_, path) => match events_path(path) {
            Some(id) => jobs.stream(id, request.last_event_id.as_deref()),
            None => Route::NotFound,
        },
    };
    let server = match Server::<AsyncStd>::bind(options.addr.as_str(), config, router) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("progress: cannot listen on {}: {error}", options.addr);
            exit(1);
        }
    };
    print_listening(server.local_addr());
    if let Err(error) = async_std::task::block_on(server.run()) {
        eprintln!("progress: {error}");
        exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn flags() {
        Options::command().debug_assert();
        let parse_all = |args: &[&str]| Options::try_parse_from(["progress"].iter().chain(args));
        let options = parse_all(&["--step-ms", "5", "--forget-after-secs=1"]).unwrap();
        assert_eq!(options.step_ms, 5);
        assert_eq!(options.forget_after_secs, 1);
        assert_eq!(options.addr, "127.0.0.1:8081");
        assert_eq!(options.retry_ms, 1000);
        let error = parse_all(&["--step-ms", "0"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
        assert_eq!(error.exit_code(), ssewire_examples::EXIT_USAGE);
    }

    #[test]
    fn paths() {
        assert_eq!(events_path("/jobs/12/events"), Some(12));
        for path in [
            "/jobs/x/events",
            "/jobs//events",
            "/jobs/+1/events",
            "/jobs/1",
            "/jobs/1/events/",
        ] {
            assert_eq!(events_path(path), None, "{path}");
        }
    }

    #[test]
    fn stream_answers_by_last_event_id() {
        let jobs = Jobs::default();
        let job = Job {
            hub: job_hub(),
            finished: false,
        };
        jobs.lock().insert(1, job);
        let is_stream = |route: &Route| matches!(route, Route::Stream(_));
        let status = |route: &Route| match route {
            Route::Reply(reply) => reply.status(),
            other => panic!("{other:?}"),
        };
        assert!(is_stream(&jobs.stream(1, None)));
        jobs.publish(1, progress(0, "queued"));
        jobs.publish(1, progress(50, "processing"));
        // A new client gets the job's events so far from the hub, then the live stream.
        let mut late = jobs.lock()[&1].hub.subscribe(None);
        let history = async_std::task::block_on(late.recv()).unwrap();
        let history = String::from_utf8(history.to_vec()).unwrap();
        assert!(
            history.starts_with("event: progress\nid: 1\ndata: {\"percent\":0,"),
            "{history}"
        );
        assert!(history.contains("\nid: 2\n"), "{history}");
        assert!(is_stream(&jobs.stream(1, None)));
        assert!(is_stream(&jobs.stream(1, Some("1"))));
        assert!(is_stream(&jobs.stream(1, Some("2"))));
        jobs.publish(1, Event::new("{}").event("done"));
        jobs.finish(1);
        // Missed the end: the hub replays it (and the stream ends).
        assert!(is_stream(&jobs.stream(1, Some("2"))));
        // Saw the end: stop.
        assert_eq!(status(&jobs.stream(1, Some("3"))), 204);
        assert!(matches!(jobs.stream(2, None), Route::NotFound));
        assert_eq!(jobs.list(), "[{\"id\":1,\"finished\":true}]\n");
    }
}
