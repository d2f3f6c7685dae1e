//! The few primitives the store file is written in: little-endian integers, LEB128
//! variable-length integers and length-prefixed strings. Reading is bounds-checked
//! everywhere: a damaged file gives [`Truncated`], never a panic.

/// Appends values to a byte buffer.
#[derive(Default)]
pub struct Encoder {
    pub buf: Vec<u8>,
}

impl Encoder {
    pub fn varint(&mut self, mut value: u64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    pub fn str(&mut self, value: &str) {
        self.varint(value.len() as u64);
        self.buf.extend_from_slice(value.as_bytes());
    }
}

/// The input ended, or a value was out of range, where a well-formed file has more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated;

/// Reads values back from a byte slice.
pub struct Decoder<'a> {
    bytes: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Decoder { bytes }
    }

    pub fn varint(&mut self) -> Result<u64, Truncated> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.bytes.split_first().ok_or(Truncated)?;
            self.bytes = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Truncated)
    }

    /// A count of items that each take at least one byte: never more than the bytes left,
    /// so a damaged count cannot make the reader allocate or loop for long.
    pub fn count(&mut self) -> Result<usize, Truncated> {
        let count = self.varint()?;
        if count > self.bytes.len() as u64 {
            return Err(Truncated);
        }
        Ok(count as usize)
    }

    pub fn u8(&mut self) -> Result<u8, Truncated> {
        let (&byte, rest) = self.bytes.split_first().ok_or(Truncated)?;
        self.bytes = rest;
        Ok(byte)
    }

    pub fn bytes(&mut self, len: usize) -> Result<&'a [u8], Truncated> {
        if len > self.bytes.len() {
            return Err(Truncated);
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    pub fn str(&mut self) -> Result<&'a str, Truncated> {
        let len = usize::try_from(self.varint()?).map_err(|_| Truncated)?;
        std::str::from_utf8(self.bytes(len)?).map_err(|_| Truncated)
    }
}

/// A little-endian `u32` at `offset`, if the slice holds one there.
pub fn u32_at(bytes: &[u8], offset: usize) -> Result<u32, Truncated> {
    let end = offset.checked_add(4).ok_or(Truncated)?;
    let slice = bytes.get(offset..end).ok_or(Truncated)?;
    Ok(u32::from_le_bytes(slice.try_into().map_err(|_| Truncated)?))
}

/// A little-endian `u64` at `offset`, if the slice holds one there.
pub fn u64_at(bytes: &[u8], offset: usize) -> Result<u64, Truncated> {
    let end = offset.checked_add(8).ok_or(Truncated)?;
    let slice = bytes.get(offset..end).ok_or(Truncated)?;
    Ok(u64::from_le_bytes(slice.try_into().map_err(|_| Truncated)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let mut encoder = Encoder::default();
        for value in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            encoder.varint(value);
        }
        encoder.str("héllo");
        encoder.u8(7);
        let mut decoder = Decoder::new(&encoder.buf);
        for value in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(decoder.varint().unwrap(), value);
        }
        assert_eq!(decoder.str().unwrap(), "héllo");
        assert_eq!(decoder.u8().unwrap(), 7);
        assert_eq!(decoder.u8(), Err(Truncated));
    }

    #[test]
    fn damaged_input_is_an_error() {
        assert_eq!(Decoder::new(&[0x80, 0x80]).varint(), Err(Truncated));
        assert_eq!(Decoder::new(&[0xff; 11]).varint(), Err(Truncated));
        assert_eq!(Decoder::new(&[5, b'a']).str(), Err(Truncated));
        assert_eq!(Decoder::new(&[2, 0xff, 0xfe]).str(), Err(Truncated));
        assert_eq!(Decoder::new(&[200, 1]).count(), Err(Truncated));
        assert_eq!(u32_at(&[1, 2, 3], 0), Err(Truncated));
        assert_eq!(u64_at(&[0; 8], usize::MAX), Err(Truncated));
    }
}
