//! Turning a fuzz input into a stream and the pieces it arrives in, shared by the targets
//! that feed bytes incrementally.

/// Splits `input` into the stream (all but its first four bytes) and that stream cut into
/// pieces whose sizes the first four bytes choose in turn (0 to 31; a 0 adds an empty piece,
/// as an empty read, before a piece of one byte).
pub fn pieces(input: &[u8]) -> (&[u8], Vec<&[u8]>) {
    let (sizes, stream) = input.split_at(input.len().min(4));
    let mut pieces = Vec::new();
    let mut rest = stream;
    for i in 0.. {
        if rest.is_empty() {
            break;
        }
        let size = sizes
            .get(i % sizes.len().max(1))
            .map_or(rest.len(), |&s| usize::from(s % 32));
        if size == 0 {
            pieces.push(&[][..]);
        }
        let (piece, tail) = rest.split_at(size.clamp(1, rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    (stream, pieces)
}
