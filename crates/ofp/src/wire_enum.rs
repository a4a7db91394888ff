//! A macro for the small code-point enums of OpenFlow (`OFPGT_*`, `OFPMC_*`, `OFPPR_*`, ...).
//!
//! Each generated enum has one variant per value the specification defines plus
//! `Unknown(raw)`, so a value this crate does not know still decodes and re-encodes to the
//! same bytes.
//!
//! `Unknown(v)` holding a value the specification defines is not canonical: it encodes as
//! `v`, which decodes as the named variant. Nothing in this crate makes one: `from_wire`,
//! the `From` conversion, the decoders and the `arbitrary` implementation all give the
//! named variant (so `decode(encode(x)) == x` for every value they produce).

/// Defines a wire enum with `to_wire`/`from_wire`, `From` conversions both ways and a
/// `Display` that prints the given lower-case name (`unknown(N)` for other values).
///
/// ```text
/// wire_enum! {
///     /// Doc.
///     pub enum GroupType: u8 {
///         /// Doc.
///         All = 0 => "all",
///     }
/// }
/// ```
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// `Unknown(v)` is meant for values the specification does not define;
        /// `from_wire` never builds it for a defined one (see the module documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value the specification does not define, kept so the message round-trips.
            Unknown($repr),
        }

        /// An arbitrary wire value, canonical: defined values give their named variant,
        /// never `Unknown`.
        #[cfg(feature = "arbitrary")]
        impl<'a> arbitrary::Arbitrary<'a> for $name {
            fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
                <$repr as arbitrary::Arbitrary<'a>>::arbitrary(u).map($name::from_wire)
            }

            fn size_hint(depth: usize) -> (usize, Option<usize>) {
                <$repr as arbitrary::Arbitrary<'a>>::size_hint(depth)
            }
        }

        impl $name {
            /// The wire value.
            pub const fn to_wire(self) -> $repr {
                match self {
                    $( $name::$variant => $value, )*
                    $name::Unknown(v) => v,
                }
            }

            /// From the wire value; values the specification does not define become
            /// `Unknown`.
            pub const fn from_wire(v: $repr) -> Self {
                match v {
                    $( $value => $name::$variant, )*
                    v => $name::Unknown(v),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $( $name::$variant => f.write_str($text), )*
                    $name::Unknown(v) => write!(f, "unknown({v})"),
                }
            }
        }

        impl From<$repr> for $name {
            fn from(v: $repr) -> Self {
                $name::from_wire(v)
            }
        }

        impl From<$name> for $repr {
            fn from(v: $name) -> Self {
                v.to_wire()
            }
        }
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    wire_enum! {
        /// Test enum.
        pub enum Colour: u16 {
            /// Red.
            Red = 0 => "red",
            /// Blue.
            Blue = 7 => "blue",
        }
    }

    #[test]
    fn known_and_unknown_values_round_trip() {
        assert_eq!(Colour::from_wire(7), Colour::Blue);
        assert_eq!(Colour::Blue.to_wire(), 7);
        assert_eq!(Colour::from_wire(3), Colour::Unknown(3));
        assert_eq!(u16::from(Colour::Unknown(3)), 3);
        assert_eq!(Colour::from(0u16), Colour::Red);
        assert_eq!(Colour::Blue.to_string(), "blue");
        assert_eq!(Colour::Unknown(3).to_string(), "unknown(3)");
        // Every value converts to its canonical variant and back.
        for v in 0..=u16::MAX {
            let c = Colour::from(v);
            assert_eq!(c.to_wire(), v);
            assert_eq!(matches!(c, Colour::Unknown(_)), v != 0 && v != 7, "{v}");
        }
    }

    #[cfg(feature = "arbitrary")]
    #[test]
    fn arbitrary_values_are_canonical() {
        // Every 16-bit input: the two defined values come out named, never `Unknown`.
        for v in 0..=u16::MAX {
            let bytes = v.to_le_bytes();
            let mut u = arbitrary::Unstructured::new(&bytes);
            let c: Colour = arbitrary::Arbitrary::arbitrary(&mut u).unwrap();
            assert_eq!(c, Colour::from_wire(c.to_wire()));
            assert!(!matches!(c, Colour::Unknown(0 | 7)));
        }
    }
}
