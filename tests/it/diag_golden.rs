//! (tests land here with their issue)
