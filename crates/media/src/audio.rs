//! WAV and FLAC: the header's format, and its frame count checked against the audio data.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use backbeat_domain::media::{AudioDetails, AudioFormat};

use crate::MediaError;

/// The file's audio details, or why it is not a usable WAV or FLAC file. Whether the details
/// meet delivery requirements is [`AudioDetails::refusal`]'s call.
pub fn audio(path: &Path) -> Result<AudioDetails, MediaError> {
    let mut magic = [0u8; 12];
    let read = File::open(path)?.read(&mut magic)?;
    let magic = &magic[..read];
    if magic.starts_with(b"fLaC") {
        flac(path)
    } else if magic.len() == 12 && &magic[..4] == b"RIFF" && &magic[8..12] == b"WAVE" {
        wav(path)
    } else {
        Err(MediaError::unsuitable("is not a WAV or FLAC file"))
    }
}

fn wav(path: &Path) -> Result<AudioDetails, MediaError> {
    let reader = hound::WavReader::open(path)
        .map_err(|e| MediaError::unsuitable(format!("is not a valid WAV file ({e})")))?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int {
        return Err(MediaError::unsuitable(
            "must hold integer PCM samples, not floating point",
        ));
    }
    let frames = u64::from(reader.duration());
    let samples = u64::from(reader.len());
    let mut data = reader.into_inner();
    let data_start = data.stream_position()?;
    let file_length = data.get_ref().metadata()?.len();
    let bytes_per_sample = u64::from(spec.bits_per_sample).div_ceil(8);
    let announced = samples * bytes_per_sample;
    let present = file_length.saturating_sub(data_start);
    if present < announced {
        return Err(MediaError::unsuitable(format!(
            "is truncated: its header announces {announced} bytes of audio, the file holds {present}"
        )));
    }
    Ok(AudioDetails {
        format: AudioFormat::Wav,
        sample_rate: spec.sample_rate,
        bit_depth: spec.bits_per_sample,
        channels: spec.channels,
        frames,
    })
}

/// Decodes every frame: the only way to know a FLAC file is whole, and its exact length when the
/// header does not say.
fn flac(path: &Path) -> Result<AudioDetails, MediaError> {
    let mut reader = claxon::FlacReader::new(BufReader::new(File::open(path)?))
        .map_err(|e| MediaError::unsuitable(format!("is not a valid FLAC file ({e})")))?;
    let info = reader.streaminfo();
    let mut frames = 0u64;
    let mut blocks = reader.blocks();
    let mut buffer = Vec::new();
    loop {
        match blocks.read_next_or_eof(buffer) {
            Ok(Some(block)) => {
                frames += u64::from(block.duration());
                buffer = block.into_buffer();
            }
            Ok(None) => break,
            Err(error) => {
                return Err(MediaError::unsuitable(format!(
                    "is truncated or corrupt after {frames} frames ({error})"
                )));
            }
        }
    }
    if info.samples.is_some_and(|announced| announced != frames) {
        return Err(MediaError::unsuitable(format!(
            "is truncated: its header announces {} frames, the file holds {frames}",
            info.samples.unwrap_or_default()
        )));
    }
    Ok(AudioDetails {
        format: AudioFormat::Flac,
        sample_rate: info.sample_rate,
        bit_depth: u16::try_from(info.bits_per_sample).unwrap_or(u16::MAX),
        channels: u16::try_from(info.channels).unwrap_or(u16::MAX),
        frames,
    })
}
