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

use clap::Parser;
use futures_lite::StreamExt;
use serde_json::{json, Value};
use ssewire_examples::{positive, TlsFlags, EXIT_USAGE};
use ssewire_futures::client::{self, Update};

const DEFAULT_URL: &str = "https://api.openai.com/v1/chat/completions";

/// llm-stream: print the streamed answer of an OpenAI-style chat completions API
///
/// POSTs {"model":…,"stream":true,"messages":[{"role":"user","content":PROMPT}]} and
/// prints the text of each chunk (`choices[0].delta.content`) as it arrives, until
/// `data: [DONE]`. The API key is read from the environment variable OPENAI_API_KEY (sent as a
/// bearer token; none is sent if it is not set).
#[derive(Clone, Debug, PartialEq, Eq, Parser)]
#[command(
    verbatim_doc_comment,
    args_override_self = true,
    after_help = "Exit status: 0 at data: [DONE]; 1 if the stream ended otherwise or failed; 2 for a bad\ncommand line."
)]
struct Options {
    /// The endpoint
    #[arg(long, value_name = "URL", default_value = DEFAULT_URL)]
    url: String,
    /// The model
    #[arg(long, value_name = "NAME", default_value = "gpt-4o-mini")]
    model: String,
    /// Trust the certificates in this PEM file too (a private CA)
    #[arg(long, value_name = "PATH")]
    cacert: Option<String>,
    /// Give up on a connection silent this long, in milliseconds, and ask again
    #[arg(long = "read-timeout-ms", value_name = "MS", default_value_t = 60_000,
          value_parser = positive)]
    read_timeout_ms: u64,
    /// What to ask
    #[arg(value_name = "PROMPT")]
    prompt: String,
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
    let options = Options::parse();
    let tls = TlsFlags {
        cacert: options.cacert.clone(),
        insecure: false,
    };
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
    let source = match tls.event_source(&options.url, config) {
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
        let parsed =
            Options::try_parse_from(["llm-stream", "--model", "x", "--url", "https://h/", "p"]);
        let options = parsed.unwrap();
        assert_eq!(
            (options.model.as_str(), options.url.as_str()),
            ("x", "https://h/")
        );
        assert_eq!(options.prompt, "p");
        let defaults = Options::try_parse_from(["llm-stream", "p"]).unwrap();
        assert_eq!(
            (defaults.url.as_str(), defaults.read_timeout_ms),
            (DEFAULT_URL, 60_000)
        );
        let missing = Options::try_parse_from(["llm-stream", "--model", "x"]).unwrap_err();
        assert_eq!(
            missing.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert_eq!(missing.exit_code(), EXIT_USAGE);
        <Options as clap::CommandFactory>::command().debug_assert();
    }
}
