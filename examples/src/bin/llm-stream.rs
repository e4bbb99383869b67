//! `llm-stream`: ask an OpenAI-style chat completions API for a streamed answer and print its
//! text as it arrives (smol).
//!
//! It shows the client on the kind of stream most people meet first: a `POST` with a JSON
//! body over HTTPS, `data:` lines of JSON chunks, and `data: [DONE]` at the end. The body is
//! sent again, with `Last-Event-ID` if the server gave ids, if the connection drops.
//!
//! ```text
//! OPENAI_API_KEY=sk-... cargo run -p ssewire-examples --bin llm-stream -- \
//!     --model gpt-4o-mini 'Say hello in five words'
//! ```

use std::io::{self, Write};
use std::process::exit;

use futures_lite::StreamExt;
use serde_json::{json, Value};
use ssewire_examples::args::{self, Arg, Args, Command, UsageError, EXIT_USAGE};
use ssewire_examples::TlsFlags;
use ssewire_futures::client::{self, Update};

const HELP: &str = "\
llm-stream: print the streamed answer of an OpenAI-style chat completions API

Usage: llm-stream [OPTIONS] PROMPT

POSTs {\"model\":…,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":PROMPT}]} and
prints the text of each chunk (choices[0].delta.content) as it arrives, until data: [DONE].
The API key is read from the environment variable OPENAI_API_KEY (sent as a bearer token;
none is sent if it is not set).

Options:
      --url URL             the endpoint [default: https://api.openai.com/v1/chat/completions]
      --model NAME          the model [default: gpt-4o-mini]
      --cacert PATH         trust the certificates in this PEM file too (a private CA)
      --read-timeout-ms MS  give up on a connection silent this long, and ask again
                            [default: 60000]
  -h, --help                print this help

Exit status: 0 at data: [DONE]; 1 if the stream ended otherwise or failed; 2 for a bad
command line.
";

const DEFAULT_URL: &str = "https://api.openai.com/v1/chat/completions";

#[derive(Clone, Debug, PartialEq, Eq)]
struct Options {
    url: String,
    model: String,
    prompt: String,
    tls: TlsFlags,
    read_timeout_ms: u64,
}

fn parse(mut args: Args) -> Result<Command<Options>, UsageError> {
    let mut options = Options {
        url: DEFAULT_URL.to_owned(),
        model: "gpt-4o-mini".to_owned(),
        prompt: String::new(),
        tls: TlsFlags::default(),
        read_timeout_ms: 60_000,
    };
    let mut prompt = None;
    while let Some(arg) = args.next_arg()? {
        match arg {
            Arg::Long("help") | Arg::Short('h') => return Ok(Command::Help),
            Arg::Long("url") => options.url = args.value("--url")?,
            Arg::Long("model") => options.model = args.value("--model")?,
            Arg::Long("cacert") => options.tls.cacert = Some(args.value("--cacert")?),
            Arg::Long("read-timeout-ms") => {
                options.read_timeout_ms = args::millis(&mut args, "--read-timeout-ms", 1)?;
            }
            Arg::Positional(value) if prompt.is_none() => prompt = Some(value),
            other => return Err(other.unexpected()),
        }
    }
    options.prompt = prompt.ok_or_else(|| UsageError("missing PROMPT".to_owned()))?;
    Ok(Command::Run(options))
}

/// The request body: one user message, streamed.
fn request_body(model: &str, prompt: &str) -> String {
    json!({
        "model": model,
        "stream": true,
        "messages": [{"role": "user", "content": prompt}],
    })
    .to_string()
}

/// What one `data:` line says: more text, the end, or nothing to print.
#[derive(Debug, PartialEq, Eq)]
enum Chunk {
    Text(String),
    Done,
    Nothing,
}

fn chunk(data: &str) -> Result<Chunk, serde_json::Error> {
    if data == "[DONE]" {
        return Ok(Chunk::Done);
    }
    let value: Value = serde_json::from_str(data)?;
    Ok(match value["choices"][0]["delta"]["content"].as_str() {
        Some(text) if !text.is_empty() => Chunk::Text(text.to_owned()),
        _ => Chunk::Nothing,
    })
}

fn main() {
    let options = args::parse_or_exit("llm-stream", HELP, parse);
    let mut config = client::Config::new()
        .method("POST")
        .header("Content-Type", "application/json")
        .body(request_body(&options.model, &options.prompt))
        .read_timeout(Some(std::time::Duration::from_millis(
            options.read_timeout_ms,
        )))
        // An API that refuses the request (401, 429) will not take it on a retry either.
        .retry_budget(Some(3));
    if let Ok(key) = std::env::var("OPENAI_API_KEY") {
        config = config.header("Authorization", format!("Bearer {key}"));
    }
    let source = match options.tls.event_source(&options.url, config) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("llm-stream: {error}");
            exit(EXIT_USAGE);
        }
    };
    exit(smol::block_on(run(source)));
}

async fn run(mut source: client::EventSource) -> i32 {
    let mut stdout = io::stdout().lock();
    while let Some(update) = source.next().await {
        let data = match update {
            Ok(Update::Event(event)) => event.data,
            Ok(_) => continue,
            Err(error) => {
                eprintln!("llm-stream: {error}");
                continue;
            }
        };
        match chunk(&data) {
            Ok(Chunk::Text(text)) => {
                if write!(stdout, "{text}")
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    return 1;
                }
            }
            Ok(Chunk::Done) => {
                let _ = writeln!(stdout);
                source.close();
                return 0;
            }
            Ok(Chunk::Nothing) => {}
            Err(error) => eprintln!("llm-stream: a chunk that is not JSON ({error}): {data}"),
        }
    }
    eprintln!(
        "llm-stream: the stream ended before [DONE]: {}",
        source
            .failure()
            .map_or("closed".to_owned(), |f| f.to_string())
    );
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks() {
        let text = r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#;
        assert_eq!(chunk(text).unwrap(), Chunk::Text("Hel".to_owned()));
        let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant"}}]}"#;
        assert_eq!(chunk(role).unwrap(), Chunk::Nothing);
        assert_eq!(chunk("[DONE]").unwrap(), Chunk::Done);
        assert!(chunk("not json").is_err());
    }

    #[test]
    fn body_and_flags() {
        let body: Value = serde_json::from_str(&request_body("m", "say \"hi\"")).unwrap();
        assert_eq!(body["stream"], true);
        assert_eq!(body["messages"][0]["content"], "say \"hi\"");
        let parsed = parse(Args::new(["--model", "x", "--url", "https://h/", "p"])).unwrap();
        let Command::Run(options) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(
            (options.model.as_str(), options.url.as_str()),
            ("x", "https://h/")
        );
        assert_eq!(options.prompt, "p");
        assert_eq!(
            parse(Args::new(["--model", "x"])),
            Err(UsageError("missing PROMPT".to_owned()))
        );
    }
}
