//! Command-line flags, parsed by hand: `--name value`, `--name=value`, `-x value`, positional
//! arguments, and `--` to end the flags.
//!
//! ```
//! use ssewire_examples::args::{Arg, Args};
//!
//! let mut args = Args::new(["--count=3", "-H", "X-Token: 1", "http://localhost/"]);
//! let (mut count, mut headers, mut url) = (0u32, Vec::new(), None);
//! while let Some(arg) = args.next_arg()? {
//!     match arg {
//!         Arg::Long("count") => count = args.parsed("--count")?,
//!         Arg::Short('H') => headers.push(args.value("-H")?),
//!         Arg::Positional(value) => url = Some(value),
//!         other => return Err(other.unexpected()),
//!     }
//! }
//! assert_eq!((count, headers.len(), url.as_deref()), (3, 1, Some("http://localhost/")));
//! # Ok::<(), ssewire_examples::args::UsageError>(())
//! ```

use core::fmt;
use std::collections::VecDeque;
use std::str::FromStr;

/// A command line that cannot be used; the message says why, in a form to print after the
/// program's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// One argument, as [`Args::next_arg`] sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg<'a> {
    /// `--name` (or `--name=value`: the value is taken with [`Args::value`]).
    Long(&'a str),
    /// `-x`.
    Short(char),
    /// An argument that is not a flag (or any argument after `--`).
    Positional(String),
}

impl Arg<'_> {
    /// The error for an argument the program does not know.
    #[must_use]
    pub fn unexpected(&self) -> UsageError {
        UsageError(match self {
            Arg::Long(name) => format!("unknown flag --{name}"),
            Arg::Short(c) => format!("unknown flag -{c}"),
            Arg::Positional(value) => format!("unexpected argument '{value}'"),
        })
    }
}

/// The arguments, taken one at a time.
#[derive(Debug)]
pub struct Args {
    rest: VecDeque<String>,
    /// The flag last returned, owned, so that [`Arg::Long`] can borrow it.
    flag: String,
    /// The `value` of `--name=value`, until [`Args::value`] takes it.
    attached: Option<String>,
    /// After `--`: everything is positional.
    positional_only: bool,
}

impl Args {
    /// The arguments, without the program name.
    pub fn new<I>(args: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Args {
            rest: args.into_iter().map(Into::into).collect(),
            flag: String::new(),
            attached: None,
            positional_only: false,
        }
    }

    /// The arguments of this process.
    #[must_use]
    pub fn from_env() -> Self {
        Args::new(std::env::args().skip(1))
    }

    /// The next argument, or `None` at the end.
    ///
    /// # Errors
    ///
    /// A flag given a value with `=` that it did not take (`--json=yes`), or a lone `-x`
    /// cluster such as `-abc` (clusters are not supported).
    pub fn next_arg(&mut self) -> Result<Option<Arg<'_>>, UsageError> {
        if let Some(value) = self.attached.take() {
            return Err(UsageError(format!(
                "flag --{} takes no value (got '{value}')",
                self.flag
            )));
        }
        let Some(arg) = self.rest.pop_front() else {
            return Ok(None);
        };
        if self.positional_only || arg == "-" || !arg.starts_with('-') {
            return Ok(Some(Arg::Positional(arg)));
        }
        if arg == "--" {
            self.positional_only = true;
            return self.next_arg();
        }
        if let Some(long) = arg.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => {
                    self.flag = name.to_owned();
                    self.attached = Some(value.to_owned());
                }
                None => long.clone_into(&mut self.flag),
            }
            return Ok(Some(Arg::Long(&self.flag)));
        }
        let mut chars = arg[1..].chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => {
                self.flag = c.to_string();
                Ok(Some(Arg::Short(c)))
            }
            _ => Err(UsageError(format!("unknown flag {arg}"))),
        }
    }

    /// The value of the flag just returned: after its `=`, or the next argument.
    ///
    /// # Errors
    ///
    /// No argument follows the flag.
    pub fn value(&mut self, flag: &str) -> Result<String, UsageError> {
        if let Some(value) = self.attached.take() {
            return Ok(value);
        }
        self.rest
            .pop_front()
            .ok_or_else(|| UsageError(format!("flag {flag} needs a value")))
    }

    /// The value of the flag just returned, parsed.
    ///
    /// # Errors
    ///
    /// No value, or one that does not parse as a `T`.
    pub fn parsed<T>(&mut self, flag: &str) -> Result<T, UsageError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let value = self.value(flag)?;
        value
            .parse()
            .map_err(|error| UsageError(format!("invalid value '{value}' for {flag}: {error}")))
    }
}

/// What a program does with its command line: run with these options, or print its help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command<T> {
    /// Run with these options.
    Run(T),
    /// `--help` or `-h`: print the usage and exit 0.
    Help,
}

/// The exit status of a command line that cannot be used.
pub const EXIT_USAGE: i32 = 2;

/// Parses the command line with `parse`; prints the help (exit 0) or a usage error (exit
/// [`EXIT_USAGE`]) and exits, or returns the options.
pub fn parse_or_exit<T>(
    program: &str,
    help: &str,
    parse: impl FnOnce(Args) -> Result<Command<T>, UsageError>,
) -> T {
    match parse(Args::from_env()) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{help}");
            std::process::exit(0);
        }
        Err(error) => {
            eprintln!("{program}: {error}");
            eprintln!("Try '{program} --help' for more information.");
            std::process::exit(EXIT_USAGE);
        }
    }
}

/// A duration in milliseconds, for flags like `--interval-ms`: a whole number, at least `min`.
///
/// # Errors
///
/// Not a number, or less than `min`.
pub fn millis(args: &mut Args, flag: &str, min: u64) -> Result<u64, UsageError> {
    let ms: u64 = args.parsed(flag)?;
    if ms < min {
        return Err(UsageError(format!("{flag} must be at least {min}")));
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument, as text: `--name`, `-x`, `value`, with values taken for `--v` and `-v`.
    fn walk(args: &[&str]) -> Result<Vec<String>, UsageError> {
        let mut args = Args::new(args.iter().copied());
        let mut seen = Vec::new();
        while let Some(arg) = args.next_arg()? {
            let text = match arg {
                Arg::Long("v") => format!("--v={}", args.value("--v")?),
                Arg::Short('v') => format!("-v={}", args.value("-v")?),
                Arg::Long(name) => format!("--{name}"),
                Arg::Short(c) => format!("-{c}"),
                Arg::Positional(value) => value,
            };
            seen.push(text);
        }
        Ok(seen)
    }

    #[test]
    fn flags_values_and_positionals() {
        assert_eq!(walk(&[]).unwrap(), Vec::<String>::new());
        assert_eq!(
            walk(&["a", "--flag", "--v", "1", "--v=2", "-v", "3", "-x", "-", "b"]).unwrap(),
            ["a", "--flag", "--v=1", "--v=2", "-v=3", "-x", "-", "b"]
        );
        // A value may look like a flag, and may be empty.
        assert_eq!(walk(&["--v", "--x", "--v="]).unwrap(), ["--v=--x", "--v="]);
        // After `--`, all is positional.
        assert_eq!(walk(&["--", "--v", "-x"]).unwrap(), ["--v", "-x"]);
    }

    #[test]
    fn errors_name_the_flag() {
        let error = walk(&["--v"]).unwrap_err();
        assert_eq!(error.0, "flag --v needs a value");
        let error = walk(&["--json=yes"]).unwrap_err();
        assert_eq!(error.0, "flag --json takes no value (got 'yes')");
        let error = walk(&["-abc"]).unwrap_err();
        assert_eq!(error.0, "unknown flag -abc");
        assert_eq!(Arg::Long("x").unexpected().0, "unknown flag --x");
        assert_eq!(Arg::Short('x').unexpected().0, "unknown flag -x");
        assert_eq!(
            Arg::Positional("x".into()).unexpected().0,
            "unexpected argument 'x'"
        );
    }

    #[test]
    fn parsed_values() {
        let mut args = Args::new(["--n", "12", "--n", "x", "--ms", "5"]);
        args.next_arg().unwrap();
        assert_eq!(args.parsed::<u32>("--n"), Ok(12));
        args.next_arg().unwrap();
        let error = args.parsed::<u32>("--n").unwrap_err();
        assert_eq!(
            error.0,
            "invalid value 'x' for --n: invalid digit found in string"
        );
        args.next_arg().unwrap();
        let error = millis(&mut args, "--ms", 10).unwrap_err();
        assert_eq!(error.0, "--ms must be at least 10");
    }
}
