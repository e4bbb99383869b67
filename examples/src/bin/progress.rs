//! `progress`: the progress of background jobs, streamed to a browser (async-std).
//!
//! It shows streams of a request's own, without a hub: each job keeps its state (its latest
//! step) where the router and the job's task share it, and each `GET` of a job's stream is a
//! [`Route::Events`] that sends the job's state as it is now, then each later step, and
//! ends after the job's last one. A step carries the whole state (percent and stage), so a
//! client that comes late, or falls behind, misses nothing it needs: it gets the latest.
//! It runs on async-std ([`AsyncStd`]); the same library code runs on smol.
//!
//! - `POST /jobs` starts a job and answers `201` with `{"id":1,"events":"/jobs/1/events"}`;
//!   `GET /jobs` lists the jobs.
//! - `GET /jobs/{id}/events` streams `event: progress` with `{"percent":40,"stage":"…"}`,
//!   then `event: done` with `{"id":1,"result":"ok","elapsed_ms":…}`, and ends. The steps of
//!   a job are numbered (their event IDs): 1, 2, 3, …
//! - `/` is a page with a button that starts jobs and shows a progress bar for each.
//!
//! A stream that ends makes a browser's `EventSource` reconnect, so what a job's stream answers
//! depends on what the client has seen (its `Last-Event-ID`):
//!
//! - the job's last step, and the job is over: `204 No Content`, which tells a browser (and
//!   `sse-cat`) to stop for good;
//! - anything else: the job's state, if the client has not seen it yet (the `done` step, for a
//!   job that is over), then the later steps as they come;
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
use futures_lite::Stream;
use serde::Serialize;
use ssewire_examples::{positive, print_listening, Rng};
use ssewire_futures::rt::AsyncStd;
use ssewire_futures::server::{self, Events, Reply, Request, Route, Server};
use ssewire_futures::{Event, Item};

/// progress: job progress over Server-Sent Events (async-std)
///
/// POST /jobs starts a simulated job and answers {"id":N,"events":"/jobs/N/events"};
/// GET /jobs/N/events streams the job's state (a `progress` event, {"percent":…,"stage":…}),
/// then each later step, then `done`, and ends; a client that saw the end and comes back gets
/// 204 No Content. / is a page that starts jobs and shows their progress.
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

/// Where a job is, as its task sets it and its streams read it.
#[derive(Debug, Default)]
struct State {
    /// Its latest step, numbered (its ID is the step's number); `None` before the first.
    latest: Option<(u64, Event)>,
    /// Whether the latest step is the last (`done`).
    finished: bool,
}

/// A job, as the router, its streams and its task share it: a watch of its [`State`].
#[derive(Default)]
struct Job {
    state: Mutex<State>,
    /// Told of each step, so that the streams waiting for one wake up.
    changed: event_listener::Event,
}

impl Job {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets the job's next step, `event` (numbered here), the last one if `finished`.
    fn step(&self, event: Event, finished: bool) {
        let mut state = self.lock();
        let n = state.latest.as_ref().map_or(1, |(n, _)| n + 1);
        state.latest = Some((n, event.id(n.to_string())));
        state.finished = finished;
        drop(state);
        self.changed.notify(usize::MAX);
    }

    /// The number of the latest step, and whether the job is over.
    fn position(&self) -> (Option<u64>, bool) {
        let state = self.lock();
        (state.latest.as_ref().map(|(n, _)| *n), state.finished)
    }
}

/// The items of one request's stream of `job`, for a client that has seen the steps up to
/// `seen`: the job's latest step if it is later, then each later step as it comes (a client
/// slower than the steps gets the latest when it is ready for one); the end after the last.
fn follow(job: Arc<Job>, seen: Option<u64>) -> impl Stream<Item = Item> + Send + 'static {
    futures_lite::stream::unfold((job, seen, false), |(job, seen, ended)| async move {
        if ended {
            return None;
        }
        loop {
            // Listen before looking: a step set in between still wakes this one.
            let listener = job.changed.listen();
            let (next, finished) = {
                let state = job.lock();
                let next = state.latest.as_ref().filter(|(n, _)| seen < Some(*n));
                (next.cloned(), state.finished)
            };
            match next {
                Some((n, event)) => return Some((Item::Event(event), (job, Some(n), finished))),
                None if finished => return None,
                None => listener.await,
            }
        }
    })
}

#[derive(Clone, Default)]
struct Jobs {
    map: Arc<Mutex<HashMap<u64, Arc<Job>>>>,
    next_id: Arc<AtomicU64>,
}

impl Jobs {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Job>>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a job running in steps of `step`; its ID.
    fn start(&self, step: Duration, forget_after: Duration) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let job = Arc::new(Job::default());
        self.lock().insert(id, job.clone());
        let jobs = self.clone();
        async_std::task::spawn(async move {
            run_job(&job, id, step).await;
            async_std::task::sleep(forget_after).await;
            jobs.lock().remove(&id);
        });
        id
    }

    /// `GET /jobs`: `[{"id":1,"finished":true},…]`.
    fn list(&self) -> String {
        let jobs = self.lock();
        let mut list: Vec<Summary> = jobs
            .iter()
            .map(|(&id, job)| Summary {
                id,
                finished: job.position().1,
            })
            .collect();
        list.sort_unstable_by_key(|job| job.id);
        json_line(&list)
    }

    /// What `GET /jobs/{id}/events` gets, for a client that last saw `last_event_id`.
    fn stream(&self, id: u64, last_event_id: Option<&str>) -> Route {
        let Some(job) = self.lock().get(&id).cloned() else {
            return Route::NotFound;
        };
        // An ID that is not a step's number (from another server, say) has seen nothing.
        let seen = last_event_id.and_then(|id| id.parse().ok());
        match job.position() {
            // It has seen the end: tell it to stop reconnecting.
            (Some(last), true) if seen >= Some(last) => Route::Reply(Reply::no_content()),
            // The job's state if it has not seen it, then the later steps (or the end).
            _ => Route::Events(Events::new(follow(job, seen))),
        }
    }
}

/// Runs job `id`: `progress` steps through the stages, then `done`.
async fn run_job(job: &Job, id: u64, step: Duration) {
    let started = Instant::now();
    let mut rng = Rng::from_time();
    let mut percent = 0;
    job.step(progress(percent, STAGES[0].0), false);
    for (stage, until) in STAGES {
        while percent < until {
            async_std::task::sleep(step).await;
            // At most 10 more: `u8` arithmetic cannot overflow under 100.
            percent = (percent + rng.range(2, 10) as u8).min(until);
            job.step(progress(percent, stage), false);
        }
    }
    let done = Done {
        id,
        result: "ok",
        elapsed_ms: started.elapsed().as_millis(),
    };
    job.step(json_event(&done).event("done"), true);
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
    use futures_lite::future::{block_on, poll_once};
    use futures_lite::StreamExt;

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

    /// The next item of `items` if it is there now: `Some(None)` at the end, `None` if it
    /// would wait.
    fn now<S: Stream<Item = Item> + Unpin>(items: &mut S) -> Option<Option<Event>> {
        block_on(poll_once(items.next())).map(|item| {
            item.map(|item| match item {
                Item::Event(event) => event,
                other => panic!("{other:?}"),
            })
        })
    }

    #[test]
    fn a_stream_gives_the_state_now_then_each_step_then_ends() {
        let job = Arc::new(Job::default());
        let mut early = Box::pin(follow(job.clone(), None));
        // Nothing yet: it waits for the first step.
        assert_eq!(now(&mut early), None);
        job.step(progress(0, "queued"), false);
        let first = now(&mut early).unwrap().unwrap();
        assert_eq!(
            (first.event.as_str(), first.id.as_deref()),
            ("progress", Some("1"))
        );
        assert_eq!(first.data, r#"{"percent":0,"stage":"queued"}"#);
        assert_eq!(now(&mut early), None);
        job.step(progress(20, "downloading"), false);
        job.step(progress(30, "downloading"), false);
        // Slower than the steps: the latest, once.
        let latest = now(&mut early).unwrap().unwrap();
        assert_eq!(latest.id.as_deref(), Some("3"));
        assert_eq!(now(&mut early), None);
        // A client that comes now gets the state first; one that saw it, the next step.
        let mut late = Box::pin(follow(job.clone(), None));
        assert_eq!(now(&mut late).unwrap().unwrap(), latest);
        let mut resumed = Box::pin(follow(job.clone(), Some(3)));
        assert_eq!(now(&mut resumed), None);
        job.step(json_event(&"over").event("done"), true);
        for items in [&mut early, &mut late, &mut resumed] {
            let done = now(items).unwrap().unwrap();
            assert_eq!(
                (done.event.as_str(), done.id.as_deref()),
                ("done", Some("4"))
            );
            assert_eq!(now(items), Some(None));
        }
        // After the end: the last step, and the end.
        let mut after = Box::pin(follow(job, Some(2)));
        assert_eq!(now(&mut after).unwrap().unwrap().id.as_deref(), Some("4"));
        assert_eq!(now(&mut after), Some(None));
    }

    #[test]
    fn stream_answers_by_last_event_id() {
        let jobs = Jobs::default();
        let job = Arc::new(Job::default());
        jobs.lock().insert(1, job.clone());
        let is_stream = |route: &Route| matches!(route, Route::Events(_));
        let status = |route: &Route| match route {
            Route::Reply(reply) => reply.status(),
            other => panic!("{other:?}"),
        };
        assert!(is_stream(&jobs.stream(1, None)));
        job.step(progress(0, "queued"), false);
        job.step(progress(50, "processing"), false);
        for last in [None, Some("1"), Some("2"), Some("x")] {
            assert!(is_stream(&jobs.stream(1, last)), "{last:?}");
        }
        job.step(json_event(&"over").event("done"), true);
        // Missed the end: the stream gives it (and ends).
        assert!(is_stream(&jobs.stream(1, Some("2"))));
        assert!(is_stream(&jobs.stream(1, None)));
        // Saw the end: stop.
        assert_eq!(status(&jobs.stream(1, Some("3"))), 204);
        assert!(matches!(jobs.stream(2, None), Route::NotFound));
        assert_eq!(jobs.list(), "[{\"id\":1,\"finished\":true}]\n");
    }

    #[test]
    fn a_job_runs_to_done() {
        let job = Job::default();
        block_on(run_job(&job, 7, Duration::from_millis(1)));
        let state = job.lock();
        let (n, done) = state.latest.clone().unwrap();
        assert!(state.finished);
        assert_eq!(done.event, "done");
        assert_eq!(done.id, Some(n.to_string()));
        let data: serde_json::Value = done.json().unwrap();
        assert_eq!(
            (data["id"].as_u64(), data["result"].as_str()),
            (Some(7), Some("ok"))
        );
    }
}
