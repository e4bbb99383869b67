//! Reading a request head from arbitrary bytes, with an arbitrary number of header slots and an
//! arbitrary size limit: no panic, and a complete head lies inside the input and the limits.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ssewire::http::{read_request, HeadError, RequestHead, EMPTY_HEADER};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    slots: u8,
    max_len: u16,
    bytes: &'a [u8],
}

fn inside(input: &[u8], field: &str) -> bool {
    field.is_empty()
        || input.as_ptr_range().contains(&field.as_ptr()) && {
            let start = field.as_ptr() as usize - input.as_ptr() as usize;
            input.get(start..start + field.len()) == Some(field.as_bytes())
        }
}

fn read(bytes: &[u8], slots: usize, max_len: usize) -> Result<Option<RequestHead<'_>>, HeadError> {
    let mut headers = vec![EMPTY_HEADER; slots];
    read_request(bytes, &mut headers, max_len)
}

fuzz_target!(|input: Input<'_>| {
    let slots = usize::from(input.slots % 65);
    let max_len = usize::from(input.max_len);
    let bytes = input.bytes;
    match read(bytes, slots, max_len) {
        Ok(Some(head)) => {
            assert!(head.len <= bytes.len() && head.len <= max_len);
            assert!(head.header_count <= slots);
            for field in [head.method, head.target]
                .into_iter()
                .chain(head.last_event_id)
                .chain(head.accept)
                .chain(head.origin)
            {
                assert!(inside(bytes, field), "{field:?}");
            }
            assert!(head.last_event_id != Some(""));
            // The head alone reads the same, and one byte less is not yet a head.
            assert_eq!(read(&bytes[..head.len], slots, max_len), Ok(Some(head)));
            assert_eq!(read(&bytes[..head.len - 1], slots, max_len), Ok(None));
        }
        Ok(None) => assert!(bytes.len() < max_len),
        Err(HeadError::TooLarge) => assert!(bytes.len() >= max_len),
        Err(_) => {}
    }
});
