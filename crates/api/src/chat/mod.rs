//! Chat over WebSocket: the protocol's [`frames`], each [`connection`]'s life, and the process's
//! [`hub`] that joins connections to rooms and carries room events between API processes.

pub mod connection;
pub mod frames;
pub mod hub;

pub use hub::Hub;
