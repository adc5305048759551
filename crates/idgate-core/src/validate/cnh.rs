//! CNH (driver licence) registration number validation.
