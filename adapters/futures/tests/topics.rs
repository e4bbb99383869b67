//! Topics on one stream: the hub's topic subscriptions in tables, and random
//! publish/subscribe/reconnect sequences against a reference model.

use std::collections::VecDeque;

use futures_lite::future::{block_on, poll_once};
use proptest::prelude::*;
use ssewire::replay::Miss;
use ssewire_futures::hub::{Ended, OnMiss, PublishError, TopicError, Topics};
use ssewire_futures::{Event, Hub, HubConfig, Subscription};

/// What a subscriber reads: an event (its type, ID if it has one, data) or a comment.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Got {
    Event(String, Option<String>, String),
    Comment(String),
}

/// The items of `bytes`, which hold whole frames.
fn items(bytes: &[u8]) -> Vec<Got> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut got = Vec::new();
    let (mut event, mut id, mut data) = (String::from("message"), None, None::<String>);
    for line in text.split('\n') {
        if let Some(comment) = line.strip_prefix(':') {
            got.push(Got::Comment(comment.trim_start().to_owned()));
        } else if line.is_empty() {
            if let Some(data) = data.take() {
                got.push(Got::Event(event.clone(), id.take(), data));
            }
            (event, id) = (String::from("message"), None);
        } else {
            let (field, value) = line.split_once(": ").unwrap_or((line, ""));
            match field {
                "event" => event = value.to_owned(),
                "id" => id = Some(value.to_owned()),
                "data" => data = Some(value.to_owned()),
                other => panic!("unexpected field {other:?}"),
            }
        }
    }
    got
}

/// Everything `subscription` has for now, and how it ended if it did.
fn drain(subscription: &mut Subscription) -> (Vec<Got>, Option<Ended>) {
    let mut got = Vec::new();
    loop {
        match block_on(poll_once(subscription.recv())) {
            Some(Ok(bytes)) => got.extend(items(&bytes)),
            Some(Err(ended)) => return (got, Some(ended)),
            None => return (got, None),
        }
    }
}

fn topics(list: &str) -> Topics {
    Topics::parse(list, 16).unwrap()
}

fn event(topic: &str, id: u64, data: &str) -> Got {
    Got::Event(topic.to_owned(), Some(id.to_string()), data.to_owned())
}

/// Publishes, in order, `(topic, data)` pairs: ids 1, 2, …
fn publish_all(hub: &Hub, events: &[(&str, &str)]) {
    for (topic, data) in events {
        hub.publish_to(topic, Event::new(*data)).unwrap();
    }
}

const MIXED: &[(&str, &str)] = &[
    ("prices", "p1"),
    ("notes", "n2"),
    ("chat", "c3"),
    ("prices", "p4"),
    ("chat", "c5"),
    ("notes", "n6"),
];

#[test]
fn live_events_of_the_topics_interleave_in_publication_order() {
    let hub = Hub::new(HubConfig::new());
    let mut both = hub.subscribe_to(&topics("prices,notes"), None);
    let mut chat = hub.subscribe_to(&topics("chat"), None);
    let mut all = hub.subscribe(None);
    publish_all(&hub, MIXED);
    let expected = vec![
        event("prices", 1, "p1"),
        event("notes", 2, "n2"),
        event("prices", 4, "p4"),
        event("notes", 6, "n6"),
    ];
    assert_eq!(drain(&mut both), (expected, None));
    let expected = vec![event("chat", 3, "c3"), event("chat", 5, "c5")];
    assert_eq!(drain(&mut chat), (expected, None));
    assert_eq!(
        drain(&mut all).0.len(),
        6,
        "a subscriber without topics gets all"
    );
}

#[test]
fn the_topic_is_the_event_type_on_the_wire() {
    let hub = Hub::new(HubConfig::new());
    let mut sub = hub.subscribe_to(&topics("prices"), None);
    hub.publish_to("prices", Event::new("12.5").event("ignored"))
        .unwrap();
    let frame = block_on(sub.recv()).unwrap();
    assert_eq!(&*frame, b"event: prices\nid: 1\ndata: 12.5\n\n");
}

#[test]
fn replay_after_an_id_gives_the_missed_events_of_the_topics_only() {
    // (subscribed topics, Last-Event-ID, the ids expected)
    let table: &[(&str, Option<&str>, &[u64])] = &[
        ("prices,notes", Some("0"), &[1, 2, 4, 6]),
        ("prices,notes", Some("1"), &[2, 4, 6]),
        ("prices,notes", Some("2"), &[4, 6]),
        ("prices,notes", Some("3"), &[4, 6]),
        ("prices,notes", Some("5"), &[6]),
        ("prices,notes", Some("6"), &[]),
        ("chat", Some("2"), &[3, 5]),
        ("chat", Some("5"), &[]),
        ("chat,prices,notes", Some("3"), &[4, 5, 6]),
        ("prices", None, &[]),
        ("prices", Some(""), &[]),
        ("never-published", Some("1"), &[]),
    ];
    for (list, last, ids) in table {
        // Id 0 is kept as well: the window knows it, so "0" resumes.
        let hub = Hub::new(HubConfig::new());
        hub.publish_to("other", Event::new("zero").id("0")).unwrap();
        publish_all(&hub, MIXED);
        let mut sub = hub.subscribe_to(&topics(list), *last);
        let (got, ended) = drain(&mut sub);
        let got_ids: Vec<u64> = got
            .iter()
            .map(|got| match got {
                Got::Event(_, Some(id), _) => id.parse().unwrap(),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!((&got_ids[..], ended), (*ids, None), "{list} after {last:?}");
        assert_eq!(sub.miss(), None, "{list} after {last:?}");
        // Then live events, none of them twice.
        hub.publish_to("prices", Event::new("p7")).unwrap();
        let live = drain(&mut sub).0;
        let wants_prices = topics(list).contains("prices");
        assert_eq!(live.len(), usize::from(wants_prices), "{list}");
    }
}

#[test]
fn an_id_older_than_the_window_is_answered_by_on_miss_within_the_topics() {
    for (on_miss, expected) in [
        (OnMiss::ReplayWindow, vec![event("prices", 4, "p4")]),
        (OnMiss::Skip, vec![]),
    ] {
        // A window of the last three events: 4, 5 and 6.
        let config = HubConfig::new().replay(3, 1 << 20).on_miss(on_miss);
        let hub = Hub::new(config);
        publish_all(&hub, MIXED);
        let mut sub = hub.subscribe_to(&topics("prices"), Some("2"));
        assert_eq!(sub.miss(), Some(Miss::Evicted), "{on_miss:?}");
        assert_eq!(drain(&mut sub), (expected, None), "{on_miss:?}");
        assert_eq!(hub.stats().misses, 1);
    }
}

#[test]
fn replay_to_new_gives_the_window_of_the_topics() {
    let hub = Hub::new(HubConfig::new().replay_to_new(true));
    publish_all(&hub, MIXED);
    let mut sub = hub.subscribe_to(&topics("chat"), None);
    let expected = vec![event("chat", 3, "c3"), event("chat", 5, "c5")];
    assert_eq!(drain(&mut sub), (expected, None));
}

#[test]
fn one_id_space_across_topics_and_plain_events() {
    let hub = Hub::new(HubConfig::new());
    assert_eq!(hub.publish_to("a", Event::new("1")).unwrap(), "1");
    assert_eq!(hub.publish(Event::new("2")).unwrap(), "2");
    assert_eq!(hub.publish_to("b", Event::new("3")).unwrap(), "3");
    assert_eq!(hub.publish_to("a", Event::new("x").id("10")).unwrap(), "10");
    assert_eq!(hub.publish_to("b", Event::new("4")).unwrap(), "11");
}

#[test]
fn plain_events_and_other_topics_never_reach_a_topic_subscriber() {
    let hub = Hub::new(HubConfig::new());
    let mut sub = hub.subscribe_to(&topics("a"), None);
    hub.publish(Event::new("plain")).unwrap();
    hub.send(Event::new("plain, no id")).unwrap();
    hub.publish_to("b", Event::new("other")).unwrap();
    hub.send_to("b", Event::new("other, no id")).unwrap();
    assert_eq!(drain(&mut sub), (vec![], None));
    // Nor in replay.
    let mut again = hub.subscribe_to(&topics("a"), Some("0"));
    assert_eq!(drain(&mut again), (vec![], None));
}

#[test]
fn id_less_events_are_live_only_and_comments_go_to_everyone() {
    let hub = Hub::new(HubConfig::new());
    let mut sub = hub.subscribe_to(&topics("a"), None);
    hub.publish_to("a", Event::new("kept")).unwrap();
    assert_eq!(hub.send_to("a", Event::new("live")).unwrap(), None);
    hub.comment("hello").unwrap();
    hub.publish_to("a", Event::new("kept too")).unwrap();
    let expected = vec![
        event("a", 1, "kept"),
        Got::Event("a".into(), None, "live".into()),
        Got::Comment("hello".into()),
        event("a", 2, "kept too"),
    ];
    assert_eq!(drain(&mut sub), (expected, None));
    // A reconnection after 1 gets 2, not the live event.
    let mut back = hub.subscribe_to(&topics("a"), Some("1"));
    assert_eq!(drain(&mut back), (vec![event("a", 2, "kept too")], None));
}

#[test]
fn a_slow_topic_subscriber_is_evicted_by_its_own_backlog_and_resumes() {
    let hub = Hub::new(HubConfig::new().backlog(2));
    let mut slow = hub.subscribe_to(&topics("a"), None);
    let mut quiet = hub.subscribe_to(&topics("b"), None);
    // Events of other topics do not fill its backlog.
    for _ in 0..5 {
        hub.publish_to("b", Event::new("b")).unwrap();
    }
    hub.publish_to("a", Event::new("a6")).unwrap();
    hub.publish_to("a", Event::new("a7")).unwrap();
    assert_eq!(hub.stats().evictions, 1, "quiet's backlog of 2 overflowed");
    assert_eq!(drain(&mut quiet).1, Some(Ended::Lagged));
    hub.publish_to("a", Event::new("a8")).unwrap();
    assert_eq!(drain(&mut slow).1, Some(Ended::Lagged));
    assert_eq!(hub.stats().evictions, 2);
    // It comes back after the last event it saw, 5: the window has all of its topic since.
    let mut back = hub.subscribe_to(&topics("a"), Some("5"));
    let expected = vec![
        event("a", 6, "a6"),
        event("a", 7, "a7"),
        event("a", 8, "a8"),
    ];
    assert_eq!(drain(&mut back), (expected, None));
}

#[test]
fn topic_names_are_checked_when_publishing() {
    let hub = Hub::new(HubConfig::new());
    let table = [
        ("", TopicError::Empty),
        ("a b", TopicError::Invalid),
        ("a\nid: 9", TopicError::Invalid),
        ("a,b", TopicError::Invalid),
    ];
    for (topic, error) in table {
        assert_eq!(
            hub.publish_to(topic, Event::new("x")),
            Err(PublishError::Topic(error)),
            "{topic:?}"
        );
        assert_eq!(
            hub.send_to(topic, Event::new("x")),
            Err(PublishError::Topic(error)),
            "{topic:?}"
        );
    }
    assert_eq!(hub.stats().events, 0, "nothing was sent");
    assert_eq!(hub.publish(Event::new("x")).unwrap(), "1", "nor numbered");
    hub.close();
    assert_eq!(
        hub.publish_to("a", Event::new("x")),
        Err(PublishError::Closed)
    );
}

#[test]
fn closing_ends_topic_subscriptions() {
    let hub = Hub::new(HubConfig::new());
    let mut sub = hub.subscribe_to(&topics("a"), None);
    hub.publish_to("a", Event::new("x")).unwrap();
    hub.close();
    assert_eq!(
        drain(&mut sub),
        (vec![event("a", 1, "x")], Some(Ended::Closed))
    );
    let mut late = hub.subscribe_to(&topics("a"), None);
    assert_eq!(drain(&mut late), (vec![], Some(Ended::Closed)));
}

#[cfg(feature = "smol")]
#[test]
fn frames_to_gives_a_topic_subscription_as_body_chunks() {
    use futures_lite::StreamExt;

    let hub = Hub::new(HubConfig::new());
    publish_all(&hub, MIXED);
    let notes = topics("notes");
    let mut body = hub
        .frames_to::<ssewire_futures::rt::Smol>(&notes, Some("2"))
        .keep_alive(None);
    block_on(async {
        let chunk = body.next().await.unwrap().unwrap();
        assert_eq!(&*chunk, b"event: notes\nid: 6\ndata: n6\n\n");
        hub.publish_to("chat", Event::new("c7")).unwrap();
        hub.publish_to("notes", Event::new("n8")).unwrap();
        let chunk = body.next().await.unwrap().unwrap();
        assert_eq!(&*chunk, b"event: notes\nid: 8\ndata: n8\n\n");
        hub.close();
        assert!(body.next().await.is_none());
    });
}

// The model.

const TOPICS: [&str; 3] = ["a", "b", "c"];

#[derive(Clone, Debug)]
enum Op {
    /// Publish (numbered) to a topic, or without one.
    Publish(Option<usize>),
    /// Send without an id to a topic.
    Send(usize),
    Comment,
    /// Client `n` (re)subscribes fresh to the topics of a mask (0: every event).
    Subscribe(usize, u8),
    /// Client `n` reconnects with its last event ID.
    Reconnect(usize),
    /// Client `n` reads what it has.
    Drain(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => prop::option::weighted(0.8, 0..3usize).prop_map(Op::Publish),
        1 => (0..3usize).prop_map(Op::Send),
        1 => Just(Op::Comment),
        1 => (0..3usize, 0..8u8).prop_map(|(n, mask)| Op::Subscribe(n, mask)),
        2 => (0..3usize).prop_map(Op::Reconnect),
        3 => (0..3usize).prop_map(Op::Drain),
    ]
}

/// What the model knows of one client.
struct Client {
    /// Its topics; `None` for every event.
    topics: Option<Vec<usize>>,
    subscription: Subscription,
    /// The last event ID it received, as a browser keeps it.
    last_id: Option<u64>,
    /// Expected: the replay it gets first.
    catch_up: Vec<Got>,
    /// Expected: live frames queued for it.
    queued: Vec<Got>,
    lagged: bool,
    /// The ids it received over its life (across reconnections).
    seen: Vec<u64>,
}

struct Model {
    hub: Hub,
    window: usize,
    backlog: usize,
    /// The replay window: (id, topic), oldest first.
    retained: VecDeque<(u64, Option<usize>)>,
    next_id: u64,
    clients: Vec<Option<Client>>,
}

fn wanted(topics: Option<&Vec<usize>>, topic: Option<usize>) -> bool {
    match (topics, topic) {
        (None, _) => true,
        (Some(topics), Some(topic)) => topics.contains(&topic),
        (Some(_), None) => false,
    }
}

fn got_event(topic: Option<usize>, id: Option<u64>) -> Got {
    let event = topic.map_or("message", |topic| TOPICS[topic]);
    let data = format!("{event}-{id:?}");
    Got::Event(event.to_owned(), id.map(|id| id.to_string()), data)
}

impl Model {
    fn new(window: usize, backlog: usize) -> Self {
        let config = HubConfig::new().replay(window, 1 << 20).backlog(backlog);
        Model {
            hub: Hub::new(config),
            window,
            backlog,
            retained: VecDeque::new(),
            next_id: 1,
            clients: (0..3).map(|_| None).collect(),
        }
    }

    /// Queues `item` for every connected client `to` wants, evicting those whose backlog is full.
    fn deliver(&mut self, item: &Got, to: impl Fn(&Client) -> bool) {
        let backlog = self.backlog;
        for client in self.clients.iter_mut().flatten() {
            if client.lagged || !to(client) {
                continue;
            }
            if client.queued.len() == backlog {
                client.lagged = true;
                client.queued.clear();
            } else {
                client.queued.push(item.clone());
            }
        }
    }

    fn subscribe(&mut self, n: usize, topics: Option<Vec<usize>>, last_id: Option<u64>) {
        let subscription = match &topics {
            None => self
                .hub
                .subscribe(last_id.map(|id| id.to_string()).as_deref()),
            Some(list) => {
                let set = Topics::from_names(list.iter().map(|&t| TOPICS[t]), 3).unwrap();
                self.hub
                    .subscribe_to(&set, last_id.map(|id| id.to_string()).as_deref())
            }
        };
        let replayed = match last_id {
            None => Vec::new(),
            Some(last) => {
                let at = self.retained.iter().position(|&(id, _)| id == last);
                assert_eq!(subscription.miss(), at.is_none().then_some(Miss::Evicted));
                // A miss: the whole window.
                let after = at.map_or(0, |at| at + 1);
                self.retained
                    .iter()
                    .skip(after)
                    .filter(|&&(_, topic)| wanted(topics.as_ref(), topic))
                    .map(|&(id, topic)| got_event(topic, Some(id)))
                    .collect()
            }
        };
        let seen = self.clients[n]
            .take()
            .map(|client| client.seen)
            .unwrap_or_default();
        self.clients[n] = Some(Client {
            topics,
            subscription,
            last_id,
            catch_up: replayed,
            queued: Vec::new(),
            lagged: false,
            seen: if last_id.is_some() { seen } else { Vec::new() },
        });
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Publish(topic) => {
                let id = self.next_id;
                self.next_id += 1;
                let Got::Event(_, _, data) = got_event(topic, Some(id)) else {
                    unreachable!()
                };
                let event = Event::new(data);
                let published = match topic {
                    Some(topic) => self.hub.publish_to(TOPICS[topic], event),
                    None => self.hub.publish(event),
                };
                assert_eq!(published.unwrap(), id.to_string());
                self.retained.push_back((id, topic));
                if self.retained.len() > self.window {
                    self.retained.pop_front();
                }
                let item = got_event(topic, Some(id));
                self.deliver(&item, |client| wanted(client.topics.as_ref(), topic));
            }
            Op::Send(topic) => {
                let Got::Event(_, _, data) = got_event(Some(topic), None) else {
                    unreachable!()
                };
                self.hub.send_to(TOPICS[topic], Event::new(data)).unwrap();
                let item = got_event(Some(topic), None);
                self.deliver(&item, |client| wanted(client.topics.as_ref(), Some(topic)));
            }
            Op::Comment => {
                self.hub.comment("note").unwrap();
                self.deliver(&Got::Comment("note".into()), |_| true);
            }
            Op::Subscribe(n, mask) => {
                let topics = (mask != 0).then(|| (0..3).filter(|t| mask & (1 << t) != 0).collect());
                self.subscribe(n, topics, None);
            }
            Op::Reconnect(n) => {
                if let Some(client) = &self.clients[n] {
                    let (topics, last_id) = (client.topics.clone(), client.last_id);
                    self.subscribe(n, topics, last_id);
                }
            }
            Op::Drain(n) => {
                let Some(client) = self.clients[n].as_mut() else {
                    return;
                };
                let (got, ended) = drain(&mut client.subscription);
                let mut expected = std::mem::take(&mut client.catch_up);
                expected.append(&mut client.queued);
                // A lagging client gets what was replayed, not its backlog (cleared).
                let expected_end = client.lagged.then_some(Ended::Lagged);
                assert_eq!((&got, ended), (&expected, expected_end), "client {n}");
                for item in &got {
                    if let Got::Event(event, id, _) = item {
                        if let Some(topics) = &client.topics {
                            assert!(topics.iter().any(|&t| TOPICS[t] == event), "other topic");
                        }
                        if let Some(id) = id {
                            let id: u64 = id.parse().unwrap();
                            assert!(
                                client.seen.last().is_none_or(|&last| last < id),
                                "duplicate or out of order: {id} after {:?}",
                                client.seen
                            );
                            client.seen.push(id);
                            client.last_id = Some(id);
                        }
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn topic_subscriptions_match_the_model(
        window in 1..8usize,
        backlog in 1..6usize,
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut model = Model::new(window, backlog);
        for op in &ops {
            model.apply(op);
        }
        for n in 0..3 {
            model.apply(&Op::Drain(n));
        }
    }
}
