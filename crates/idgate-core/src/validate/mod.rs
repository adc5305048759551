//! Validators for Brazilian identifiers and documents: pure functions, no I/O.

pub mod cnh;
pub mod cnpj;
pub mod cpf;
pub mod rg;
