//! feedwright: feeds for websites that have none.
//!
//! Data flows one way: [`config`] -> [`fetch`] -> [`extract`] -> [`feed`] (and, later, store -> server).
//! See ARCHITECTURE.md for the map.

pub mod cli;
pub mod config;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod item;
pub mod schedule;
