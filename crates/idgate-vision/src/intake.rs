//! Image intake shared by every route: base64, format sniffing, size and pixel limits, EXIF orientation.
