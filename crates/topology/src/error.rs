//! [`ConfigErrors`]: every problem of a configuration, each with its path in the file.

use std::fmt;

/// Line and column (both 1-based) in the configuration text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Location {
    /// The location of byte offset `offset` in `text` (clamped to the text).
    pub fn of_offset(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = text.get(..offset).unwrap_or("");
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            line: before.matches('\n').count() + 1,
            column: before.get(line_start..).map_or(0, |l| l.chars().count()) + 1,
        }
    }
}

/// One problem in a configuration.
///
/// `path` names the offending value the way it is reached in the file, e.g.
/// `layers[1].hypervisors[0].vms[2].down_mac` or `customers[3].ipv4[1]` (indices 0-based,
/// counting entries of that array); it is empty for problems of the whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the problem is.
    pub path: String,
    /// Line and column, known for TOML syntax and type errors.
    pub location: Option<Location>,
    /// What is wrong, with the expected and found values.
    pub message: String,
}

impl ConfigError {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.into(),
            location: None,
            message: message.into(),
        }
    }

    /// A TOML syntax or type error found at `path` while parsing `text`.
    pub(crate) fn from_toml(path: String, err: &toml::de::Error, text: &str) -> Self {
        // serde_path_to_error names the root ".".
        let path = if path == "." { String::new() } else { path };
        ConfigError {
            path,
            location: err.span().map(|span| Location::of_offset(text, span.start)),
            message: err.message().trim_end().to_owned(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// `path: line L, column C: message`, leaving out what is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        if let Some(Location { line, column }) = self.location {
            write!(f, "line {line}, column {column}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Every problem found in a configuration, in file order. Display prints one per line.
///
/// ```
/// use flowfall_topology::Topology;
///
/// let errs = Topology::from_toml_str("[backbone]\nport = 0\nrouter_mac = \"ff:ff:ff:ff:ff:ff\"\n")
///     .unwrap_err();
/// let text = errs.to_string();
/// assert!(text.contains("backbone.port: 0 is not a valid OpenFlow port"));
/// assert!(text.contains("backbone.router_mac: ff:ff:ff:ff:ff:ff is a multicast address"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// Wraps a list of problems.
    pub fn new(errors: Vec<ConfigError>) -> Self {
        ConfigErrors(errors)
    }

    /// Just one problem.
    pub fn single(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }

    /// The problems, in file order.
    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    /// The problems, by value.
    pub fn into_errors(self) -> Vec<ConfigError> {
        self.0
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (a value of this type returned as an error never is).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The paths of the problems, in order (handy in tests).
    pub fn paths(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.path.as_str()).collect()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, &self.0)
    }
}

/// Writes `items` one per line (no newline after the last).
pub(crate) fn write_lines<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str("\n")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_of_offset() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(
            Location::of_offset(text, 0),
            Location { line: 1, column: 1 }
        );
        assert_eq!(
            Location::of_offset(text, 6),
            Location { line: 2, column: 1 }
        );
        // "é" is two bytes; offset 9 is the space after it: column 3.
        assert_eq!(
            Location::of_offset(text, 9),
            Location { line: 2, column: 3 }
        );
        // Inside a multi-byte character, and past the end: clamped, no panic.
        assert_eq!(Location::of_offset(text, 8).line, 2);
        assert_eq!(Location::of_offset(text, 999).line, 3);
    }

    #[test]
    fn display_one_per_line() {
        let errs = ConfigErrors::new(vec![
            ConfigError::new("a.b", "bad"),
            ConfigError {
                path: String::new(),
                location: Some(Location { line: 3, column: 4 }),
                message: "syntax".into(),
            },
        ]);
        assert_eq!(errs.to_string(), "a.b: bad\nline 3, column 4: syntax");
        assert_eq!(errs.paths(), vec!["a.b", ""]);
    }
}
