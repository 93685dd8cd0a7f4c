//! Tests of the Bandwidth API client against a loopback server that replays the recorded
//! Bandwidth payloads in `tests/fixtures/` byte for byte and records every request.

mod account;
mod errors;
mod messaging;
mod numbers;
mod support;
