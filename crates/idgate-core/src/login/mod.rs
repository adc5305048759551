//! Login requests (QR code and push): placeholder while being written.
