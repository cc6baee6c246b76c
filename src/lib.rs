//! feedwright: feeds for websites that have none.
//!
//! Data flows one way: [`config`] -> [`fetch`] -> [`extract`] -> [`store`] -> [`feed`] (and, later, server).
//! See ARCHITECTURE.md for the map.

pub mod cli;
pub mod config;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod item;
pub mod schedule;
pub mod server;
pub mod store;
