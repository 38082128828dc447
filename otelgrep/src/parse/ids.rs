//! Trace and span ids written as hex digits (Python's, OTLP JSON's): read with a table lookup per
//! digit, checked once at the end. `u128::from_str_radix` checked and multiplied digit by digit,
//! a twentieth of reading OTLP trace lines.

/// Exactly 16 hex digits, either case (bytes: the text may hold anything).
pub fn hex16(digits: &[u8]) -> Option<u64> {
    const fn table() -> [u8; 256] {
        let mut t = [0xff; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = match c as u8 {
                d @ b'0'..=b'9' => d - b'0',
                d @ b'a'..=b'f' => d - b'a' + 10,
                d @ b'A'..=b'F' => d - b'A' + 10,
                _ => 0xff,
            };
            c += 1;
        }
        t
    }
    static HEX: [u8; 256] = table();
    if digits.len() != 16 {
        return None;
    }
    let (mut value, mut bad) = (0u64, 0u8);
    for &c in digits {
        let d = HEX[usize::from(c)];
        bad |= d;
        value = value << 4 | u64::from(d & 0xf);
    }
    (bad & 0xf0 == 0).then_some(value)
}

/// Exactly 32 hex digits, as two halves of [`hex16`].
pub fn hex32(digits: &[u8]) -> Option<u128> {
    if digits.len() != 32 {
        return None;
    }
    let (hi, lo) = digits.split_at(16);
    Some(u128::from(hex16(hi)?) << 64 | u128::from(hex16(lo)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the standard library reads, on ids of every digit in both cases and near misses.
    #[test]
    fn ids_as_from_str_radix_reads_them() {
        let mut seed = 0x0123_4567_89ab_cdef_u64;
        let alphabet = b"0123456789abcdefABCDEFgG x/:@`\xff";
        for _ in 0..20_000 {
            let len = [16, 32, 15, 31, 33][(crate::xorshift(&mut seed) % 5) as usize];
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    let r = crate::xorshift(&mut seed);
                    // Mostly digits, now and then another byte.
                    if r.is_multiple_of(29) {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    } else {
                        alphabet[(r >> 8) as usize % 22]
                    }
                })
                .collect();
            let std = std::str::from_utf8(&text).ok();
            assert_eq!(
                hex16(&text),
                std.filter(|_| len == 16).and_then(|t| u64::from_str_radix(t, 16).ok()),
                "{text:?}"
            );
            assert_eq!(
                hex32(&text),
                std.filter(|_| len == 32).and_then(|t| u128::from_str_radix(t, 16).ok()),
                "{text:?}"
            );
        }
    }
}
