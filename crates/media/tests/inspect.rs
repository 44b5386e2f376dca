//! Each file is judged by its bytes: good files are described exactly, bad ones refused with the
//! reason.

use backbeat_domain::media::{AudioFormat, ColorModel, ImageFormat};
use backbeat_media::{MediaError, artwork, audio};
use backbeat_testkit::fixtures::{self, Color};

fn audio_of(bytes: &[u8]) -> Result<backbeat_domain::media::AudioDetails, MediaError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("upload.bin");
    std::fs::write(&path, bytes).expect("write");
    audio(&path)
}

fn reason(result: Result<impl std::fmt::Debug, MediaError>) -> String {
    match result {
        Err(MediaError::Unsuitable(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn wav_and_flac_are_described_exactly() {
    let wav = audio_of(&fixtures::wav(2, 48_000, 24, 48_000 * 2 + 7)).expect("wav");
    assert_eq!(wav.format, AudioFormat::Wav);
    assert_eq!(
        (wav.channels, wav.sample_rate, wav.bit_depth, wav.frames),
        (2, 48_000, 24, 96_007)
    );
    assert_eq!(wav.refusal(), None);
    let flac = audio_of(&fixtures::flac(2, 44_100, 16, 44_100 * 3 + 11)).expect("flac");
    assert_eq!(flac.format, AudioFormat::Flac);
    assert_eq!(
        (flac.channels, flac.sample_rate, flac.bit_depth, flac.frames),
        (2, 44_100, 16, 132_311)
    );
    assert_eq!(flac.duration_ms(), 3000);
    assert_eq!(flac.refusal(), None);
}

#[test]
fn bad_audio_is_refused_with_the_reason() {
    assert_eq!(
        reason(audio_of(b"just some text, renamed song.wav")),
        "is not a WAV or FLAC file"
    );
    let wav = fixtures::cd_wav(1);
    assert!(reason(audio_of(&wav[..wav.len() / 2])).starts_with("is truncated"));
    let flac = fixtures::flac(2, 44_100, 16, 44_100 * 2);
    assert!(reason(audio_of(&flac[..flac.len() / 2])).starts_with("is truncated"));
    // Readable, but not what a platform accepts.
    let eight_bit = audio_of(&fixtures::wav(2, 44_100, 8, 44_100)).expect("8-bit wav reads");
    assert!(eight_bit.refusal().is_some_and(|r| r.contains("16-bit")));
    let mono = audio_of(&fixtures::wav(1, 44_100, 16, 44_100)).expect("mono wav reads");
    assert!(mono.refusal().is_some_and(|r| r.contains("stereo")));
    let low_rate = audio_of(&fixtures::flac(2, 22_050, 16, 22_050)).expect("flac reads");
    assert!(low_rate.refusal().is_some_and(|r| r.contains("44.1")));
}

#[test]
fn artwork_is_read_from_the_image() {
    let jpeg = artwork(fixtures::artwork()).expect("jpeg");
    assert_eq!(
        (jpeg.format, jpeg.width, jpeg.height, jpeg.color),
        (ImageFormat::Jpeg, 3000, 3000, ColorModel::Rgb)
    );
    assert_eq!(jpeg.refusal(), None);
    let png = artwork(&fixtures::png(3000, 3000, Color::Rgb)).expect("png");
    assert_eq!((png.format, png.color), (ImageFormat::Png, ColorModel::Rgb));
    assert_eq!(png.refusal(), None);
}

#[test]
fn bad_artwork_is_refused_with_the_reason() {
    assert_eq!(
        reason(artwork(b"GIF89a not really")),
        "must be a JPEG or PNG image, not Gif"
    );
    assert_eq!(reason(artwork(b"plain text")), "is not a JPEG or PNG image");
    let cmyk = artwork(&fixtures::jpeg(64, 64, Color::Cmyk)).expect("cmyk reads");
    assert_eq!(cmyk.color, ColorModel::Cmyk);
    assert!(cmyk.refusal().is_some_and(|r| r.contains("RGB")));
    let gray = artwork(&fixtures::png(64, 64, Color::Gray)).expect("gray reads");
    assert_eq!(gray.color, ColorModel::Grayscale);
    let small = artwork(&fixtures::png(2999, 2999, Color::Rgb)).expect("small reads");
    assert!(small.refusal().is_some_and(|r| r.contains("3000x3000")));
    let wide = artwork(&fixtures::jpeg(3200, 3000, Color::Rgb)).expect("wide reads");
    assert!(wide.refusal().is_some_and(|r| r.contains("square")));
    let jpeg = fixtures::jpeg(256, 256, Color::Rgb);
    assert!(reason(artwork(&jpeg[..jpeg.len() / 2])).starts_with("is damaged"));
}
