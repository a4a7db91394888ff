//! `ofp_desc` (OpenFlow 1.3.5 §7.3.5.1): the body of an `OFPMP_DESC` reply.

use crate::error::DecodeError;
use crate::fixed_str::FixedStr;
use crate::items;
use crate::wire::{Reader, Writer};
use std::fmt;

/// `DESC_STR_LEN`: size of the description strings.
pub const DESC_STR_LEN: usize = 256;
/// `SERIAL_NUM_LEN`: size of the serial number.
pub const SERIAL_NUM_LEN: usize = 32;
/// Size of `ofp_desc`.
pub const OFP_DESC_LEN: usize = 4 * DESC_STR_LEN + SERIAL_NUM_LEN;

/// `ofp_desc` (§7.3.5.1): information about the switch. Each field is a NUL-padded
/// string kept byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Desc {
    /// Manufacturer description.
    pub mfr_desc: FixedStr<DESC_STR_LEN>,
    /// Hardware description.
    pub hw_desc: FixedStr<DESC_STR_LEN>,
    /// Software description.
    pub sw_desc: FixedStr<DESC_STR_LEN>,
    /// Serial number.
    pub serial_num: FixedStr<SERIAL_NUM_LEN>,
    /// Human-readable description of the datapath.
    pub dp_desc: FixedStr<DESC_STR_LEN>,
}

impl Desc {
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        items::exact(r, "ofp_desc", OFP_DESC_LEN)?;
        Ok(Desc {
            mfr_desc: FixedStr::decode(r, "ofp_desc.mfr_desc")?,
            hw_desc: FixedStr::decode(r, "ofp_desc.hw_desc")?,
            sw_desc: FixedStr::decode(r, "ofp_desc.sw_desc")?,
            serial_num: FixedStr::decode(r, "ofp_desc.serial_num")?,
            dp_desc: FixedStr::decode(r, "ofp_desc.dp_desc")?,
        })
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        self.mfr_desc.encode(w);
        self.hw_desc.encode(w);
        self.sw_desc.encode(w);
        self.serial_num.encode(w);
        self.dp_desc.encode(w);
    }
}

impl fmt::Display for Desc {
    /// `mfr="Nicira, Inc." hw="Open vSwitch" sw="3.1.0" serial="None" dp="s1"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "mfr={:?} hw={:?} sw={:?} serial={:?} dp={:?}",
            self.mfr_desc.to_string_lossy(),
            self.hw_desc.to_string_lossy(),
            self.sw_desc.to_string_lossy(),
            self.serial_num.to_string_lossy(),
            self.dp_desc.to_string_lossy()
        )
    }
}

/// Proptest generator.
#[cfg(test)]
pub(crate) mod strategies {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    fn arb_str<const N: usize>() -> impl Strategy<Value = FixedStr<N>> {
        prop_oneof![
            "[ -~]{0,40}".prop_map(|s| FixedStr::truncating(&s)),
            vec(any::<u8>(), N).prop_map(|v| {
                let mut b = [0u8; N];
                b.copy_from_slice(&v);
                FixedStr::from_bytes(b)
            }),
        ]
    }

    pub(crate) fn arb_desc() -> impl Strategy<Value = Desc> {
        (arb_str(), arb_str(), arb_str(), arb_str(), arb_str()).prop_map(
            |(mfr_desc, hw_desc, sw_desc, serial_num, dp_desc)| Desc {
                mfr_desc,
                hw_desc,
                sw_desc,
                serial_num,
                dp_desc,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ryu_vectors::{decodable_prefixes, decode_at8, encode_vec};

    #[test]
    fn layout_and_sizes() {
        let d = Desc {
            mfr_desc: FixedStr::new("ACME").unwrap(),
            serial_num: FixedStr::new("42").unwrap(),
            dp_desc: FixedStr::new("s1").unwrap(),
            ..Desc::default()
        };
        let bytes = encode_vec(&d, |d, w| {
            d.encode(w);
            Ok(())
        })
        .unwrap();
        assert_eq!(bytes.len(), 1056);
        assert_eq!(&bytes[..5], b"ACME\0");
        assert_eq!(&bytes[768..771], b"42\0");
        assert_eq!(&bytes[800..803], b"s1\0");
        assert_eq!(decode_at8(&bytes, Desc::decode).unwrap(), d);
        assert!(decodable_prefixes(&bytes[..64], Desc::decode).is_empty());
        let mut long = bytes;
        long.push(0);
        assert!(matches!(
            decode_at8(&long, Desc::decode),
            Err(DecodeError::BadLength {
                what: "ofp_desc",
                offset: 8,
                found: 1057,
                ..
            })
        ));
    }
}
