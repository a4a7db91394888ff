//! Arbitrary text through the topology config parser and validator: every input either loads
//! or gives errors that each name a path; nothing panics or hangs.
#![no_main]

use flowfall_topology::Topology;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Topology::from_toml_str(text) {
        Ok(topology) => {
            // A loaded topology answers its look-ups for every switch and port it has.
            for switch in 0..topology.switches().len() {
                for &(port, role) in topology.ports(switch) {
                    assert_eq!(topology.role(switch, port), Some(role));
                }
            }
        }
        Err(errors) => {
            assert!(!errors.to_string().is_empty(), "an error list is never empty");
        }
    }
});
