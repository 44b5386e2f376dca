//! Chat: rooms and who may enter them ([`rooms`]), and the messages written in them
//! ([`messages`]). The transport (WebSocket connections and their fan-out between API processes)
//! is the API's; the rules are here, so HTTP and WebSocket apply the same ones.

pub mod messages;
pub mod rooms;
