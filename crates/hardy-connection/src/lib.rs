//! Connection actor (work in progress).
