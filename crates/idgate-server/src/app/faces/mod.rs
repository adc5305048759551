//! Face use cases shared by the QI facade (`/face_recognition/...`) and `/v1/faces/...`: image
//! upload with the quality gate, registrations (create, read by key or CPF, erase), 1:1
//! validations and two-image comparison. Inference runs on the bounded face pool
//! ([`engine`]); images and templates are sealed before they reach the store; refused input
//! stores nothing; CPFs appear in logs masked only.

pub mod config;
pub mod engine;
pub mod hint;
pub mod images;
pub mod input;
pub mod registrations;
pub mod render;
pub mod validations;

pub use engine::FaceEngine;
