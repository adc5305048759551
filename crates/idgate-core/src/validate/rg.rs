//! RG (state identity card) number validation where the issuing state publishes its rule.
