//! Faces: detection, 5-point landmarks, 128-D embeddings, quality gate and similarity mapping.
