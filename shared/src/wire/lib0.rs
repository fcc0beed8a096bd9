//! lib0 binary primitives (variable-length integers and buffers), read defensively: every
//! length is checked against the bytes that remain before anything is sliced or allocated.

/// Why a read failed, with the byte offset where it did.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("message ends early at byte {0}")]
    EndOfBuffer(usize),
    #[error("variable-length integer at byte {0} does not fit in 64 bits")]
    VarIntOverflow(usize),
    #[error("length prefix {len} at byte {at} exceeds the {left} bytes left")]
    LengthTooLarge { len: u64, at: usize, left: usize },
    #[error("string at byte {0} is not valid UTF-8")]
    NotUtf8(usize),
}

/// A cursor over untrusted bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub fn read_u8(&mut self) -> Result<u8, ReadError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or(ReadError::EndOfBuffer(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    /// An unsigned LEB128 integer of at most 64 bits.
    pub fn read_var_u64(&mut self) -> Result<u64, ReadError> {
        let start = self.pos;
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let b = self.read_u8()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 || shift > 63 {
                return Err(ReadError::VarIntOverflow(start));
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// An `f64` in 8 little-endian bytes (Huddle's own formats; lib0's floats are big-endian).
    pub fn read_f64_le(&mut self) -> Result<f64, ReadError> {
        let end = self.pos + 8;
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or(ReadError::EndOfBuffer(self.buf.len()))?;
        self.pos = end;
        // The slice is 8 bytes long.
        Ok(f64::from_le_bytes(bytes.try_into().unwrap_or_default()))
    }

    /// A length-prefixed byte buffer, borrowed from the input.
    pub fn read_var_buf(&mut self) -> Result<&'a [u8], ReadError> {
        let at = self.pos;
        let len = self.read_var_u64()?;
        let left = self.remaining();
        if len > left as u64 {
            return Err(ReadError::LengthTooLarge { len, at, left });
        }
        let start = self.pos;
        self.pos += len as usize;
        Ok(&self.buf[start..self.pos])
    }

    /// A length-prefixed UTF-8 string, borrowed from the input.
    pub fn read_var_string(&mut self) -> Result<&'a str, ReadError> {
        let at = self.pos;
        let bytes = self.read_var_buf()?;
        std::str::from_utf8(bytes).map_err(|_| ReadError::NotUtf8(at))
    }
}

/// Appends `value` as an unsigned LEB128 integer.
pub fn write_var_u64(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends an `f64` as [`Reader::read_f64_le`] reads it.
pub fn write_f64_le(out: &mut Vec<u8>, value: f64) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// Appends a length-prefixed byte buffer.
pub fn write_var_buf(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var_u64(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn var_ints_round_trip() {
        for v in [0, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            write_var_u64(&mut out, v);
            assert_eq!(Reader::new(&out).read_var_u64(), Ok(v));
        }
    }

    #[test]
    fn hostile_lengths_are_refused() {
        // A length of 2^35 with 3 bytes behind it.
        let bytes = [0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 2, 3];
        let err = Reader::new(&bytes).read_var_buf().unwrap_err();
        assert!(matches!(
            err,
            ReadError::LengthTooLarge {
                len: 34359738368,
                at: 0,
                left: 3
            }
        ));
        // 11 continuation bytes overflow 64 bits.
        let bytes = [0xff; 11];
        assert_eq!(
            Reader::new(&bytes).read_var_u64(),
            Err(ReadError::VarIntOverflow(0))
        );
        assert_eq!(Reader::new(&[]).read_u8(), Err(ReadError::EndOfBuffer(0)));
        assert_eq!(
            Reader::new(&[2, 0xff, 0xfe]).read_var_string(),
            Err(ReadError::NotUtf8(0))
        );
    }
}
