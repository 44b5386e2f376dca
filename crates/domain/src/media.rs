//! Recognising uploaded images by their bytes, never by what the client claims.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
}

impl ImageFormat {
    /// The format the bytes really are, if it is one we accept.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormat::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(ImageFormat::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageFormat::Webp)
        } else {
            None
        }
    }

    pub const fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
        }
    }

    pub const fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
            ImageFormat::Webp => "webp",
        }
    }

    pub fn from_extension(extension: &str) -> Option<Self> {
        match extension {
            "jpg" => Some(ImageFormat::Jpeg),
            "png" => Some(ImageFormat::Png),
            "webp" => Some(ImageFormat::Webp),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_real_signatures_only() {
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            ImageFormat::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageFormat::Png)
        );
        assert_eq!(
            ImageFormat::sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 "),
            Some(ImageFormat::Webp)
        );
        assert_eq!(ImageFormat::sniff(b"GIF89a"), None);
        assert_eq!(ImageFormat::sniff(b"<svg xmlns=...>"), None);
        assert_eq!(ImageFormat::sniff(b""), None);
    }
}

/// What a delivery accepts for audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioFormat {
    Wav,
    Flac,
}

impl AudioFormat {
    pub const fn as_str(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Flac => "flac",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "wav" => Some(AudioFormat::Wav),
            "flac" => Some(AudioFormat::Flac),
            _ => None,
        }
    }
}

/// An audio file as its header describes it, the frame count checked against its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioDetails {
    pub format: AudioFormat,
    pub sample_rate: u32,
    pub bit_depth: u16,
    pub channels: u16,
    /// Samples per channel: the exact length.
    pub frames: u64,
}

pub const MIN_SAMPLE_RATE: u32 = 44_100;
pub const MIN_BIT_DEPTH: u16 = 16;

impl AudioDetails {
    /// The exact duration, in milliseconds (rounded to the nearest).
    pub fn duration_ms(&self) -> u64 {
        if self.sample_rate == 0 {
            return 0;
        }
        (self.frames * 1000 + u64::from(self.sample_rate) / 2) / u64::from(self.sample_rate)
    }

    /// Why a distributor would refuse the file, if it would: stereo, at least 16-bit / 44.1 kHz,
    /// and some sound.
    pub fn refusal(&self) -> Option<String> {
        if self.channels != 2 {
            return Some(format!(
                "must be stereo (2 channels), not {} channel{}",
                self.channels,
                if self.channels == 1 { "" } else { "s" }
            ));
        }
        if self.bit_depth < MIN_BIT_DEPTH {
            return Some(format!(
                "must be at least {MIN_BIT_DEPTH}-bit, not {}-bit",
                self.bit_depth
            ));
        }
        if self.sample_rate < MIN_SAMPLE_RATE {
            return Some(format!(
                "must be sampled at 44.1 kHz or more, not {} Hz",
                self.sample_rate
            ));
        }
        if self.frames == 0 {
            return Some("holds no audio".to_owned());
        }
        None
    }
}

/// How an image encodes its colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorModel {
    Rgb,
    Grayscale,
    Cmyk,
    Other,
}

impl ColorModel {
    pub const fn as_str(self) -> &'static str {
        match self {
            ColorModel::Rgb => "rgb",
            ColorModel::Grayscale => "grayscale",
            ColorModel::Cmyk => "cmyk",
            ColorModel::Other => "other",
        }
    }
}

/// Release artwork as its bytes describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArtworkDetails {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub color: ColorModel,
}

/// The smallest side streaming platforms accept for cover art.
pub const ARTWORK_MIN_SIDE: u32 = 3000;

impl ArtworkDetails {
    /// Why a platform would refuse the artwork, if it would: JPEG or PNG, RGB, square, at least
    /// 3000 px a side.
    pub fn refusal(&self) -> Option<String> {
        if !matches!(self.format, ImageFormat::Jpeg | ImageFormat::Png) {
            return Some("must be a JPEG or PNG image".to_owned());
        }
        if self.color != ColorModel::Rgb {
            return Some(format!("must be RGB, not {}", self.color.as_str()));
        }
        if self.width != self.height {
            return Some(format!(
                "must be square, not {}x{} pixels",
                self.width, self.height
            ));
        }
        if self.width < ARTWORK_MIN_SIDE {
            return Some(format!(
                "must be at least {ARTWORK_MIN_SIDE}x{ARTWORK_MIN_SIDE} pixels, not {}x{}",
                self.width, self.height
            ));
        }
        None
    }
}

#[cfg(test)]
mod delivery_tests {
    use super::*;

    fn audio() -> AudioDetails {
        AudioDetails {
            format: AudioFormat::Wav,
            sample_rate: 44_100,
            bit_depth: 16,
            channels: 2,
            frames: 44_100 * 3 + 22_050,
        }
    }

    #[test]
    fn audio_must_be_cd_quality_stereo() {
        assert_eq!(audio().refusal(), None);
        assert_eq!(audio().duration_ms(), 3500);
        assert!(
            AudioDetails {
                channels: 1,
                ..audio()
            }
            .refusal()
            .is_some_and(|r| r.contains("stereo"))
        );
        assert!(
            AudioDetails {
                bit_depth: 8,
                ..audio()
            }
            .refusal()
            .is_some_and(|r| r.contains("16-bit"))
        );
        assert!(
            AudioDetails {
                sample_rate: 22_050,
                ..audio()
            }
            .refusal()
            .is_some_and(|r| r.contains("44.1"))
        );
        assert!(
            AudioDetails {
                sample_rate: 96_000,
                bit_depth: 24,
                ..audio()
            }
            .refusal()
            .is_none()
        );
    }

    #[test]
    fn artwork_must_be_square_rgb_and_large() {
        let art = ArtworkDetails {
            format: ImageFormat::Png,
            width: 3000,
            height: 3000,
            color: ColorModel::Rgb,
        };
        assert_eq!(art.refusal(), None);
        assert!(
            ArtworkDetails {
                width: 2999,
                height: 2999,
                ..art
            }
            .refusal()
            .is_some_and(|r| r.contains("3000"))
        );
        assert!(
            ArtworkDetails {
                height: 3001,
                ..art
            }
            .refusal()
            .is_some_and(|r| r.contains("square"))
        );
        assert!(
            ArtworkDetails {
                color: ColorModel::Cmyk,
                ..art
            }
            .refusal()
            .is_some_and(|r| r.contains("cmyk"))
        );
        assert!(
            ArtworkDetails {
                format: ImageFormat::Webp,
                ..art
            }
            .refusal()
            .is_some()
        );
    }
}
