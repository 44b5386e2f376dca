//! JPEG and PNG artwork: format, dimensions and colour model from the image itself, and a full
//! decode so that a damaged file is refused here rather than by a platform.

use std::io::Cursor;

use backbeat_domain::media::{ArtworkDetails, ColorModel, ImageFormat};
use image::{ColorType, ImageDecoder, ImageReader};
use zune_core::colorspace::ColorSpace;

use crate::MediaError;

pub fn artwork(bytes: &[u8]) -> Result<ArtworkDetails, MediaError> {
    let format = match image::guess_format(bytes) {
        Ok(image::ImageFormat::Jpeg) => ImageFormat::Jpeg,
        Ok(image::ImageFormat::Png) => ImageFormat::Png,
        Ok(other) => {
            return Err(MediaError::unsuitable(format!(
                "must be a JPEG or PNG image, not {other:?}"
            )));
        }
        Err(_) => return Err(MediaError::unsuitable("is not a JPEG or PNG image")),
    };
    let decoder = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()?
        .into_decoder()
        .map_err(|e| MediaError::unsuitable(format!("is not a readable image ({e})")))?;
    // Decoders fill a cut-off scan with grey; a whole JPEG ends its last scan with an
    // end-of-image marker.
    if format == ImageFormat::Jpeg && !ends_its_scan(bytes) {
        return Err(MediaError::unsuitable(
            "is damaged (truncated: no end-of-image marker after its image data)",
        ));
    }
    let (width, height) = decoder.dimensions();
    let color = match format {
        // image converts CMYK JPEGs to RGB when decoding; the header tells what the file holds.
        ImageFormat::Jpeg => jpeg_color(bytes),
        _ => match decoder.color_type() {
            ColorType::Rgb8 | ColorType::Rgba8 | ColorType::Rgb16 | ColorType::Rgba16 => {
                ColorModel::Rgb
            }
            ColorType::L8 | ColorType::La8 | ColorType::L16 | ColorType::La16 => {
                ColorModel::Grayscale
            }
            _ => ColorModel::Other,
        },
    };
    let mut pixels = vec![0u8; usize::try_from(decoder.total_bytes()).unwrap_or(usize::MAX)];
    decoder
        .read_image(&mut pixels)
        .map_err(|e| MediaError::unsuitable(format!("is damaged ({e})")))?;
    Ok(ArtworkDetails {
        format,
        width,
        height,
        color,
    })
}

fn ends_its_scan(bytes: &[u8]) -> bool {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let end = bytes.windows(2).rposition(|w| w == [0xFF, 0xD9]);
    matches!((last_scan, end), (Some(scan), Some(end)) if end > scan)
}

fn jpeg_color(bytes: &[u8]) -> ColorModel {
    let mut decoder = zune_jpeg::JpegDecoder::new(zune_core::bytestream::ZCursor::new(bytes));
    if decoder.decode_headers().is_err() {
        return ColorModel::Other;
    }
    match decoder.input_colorspace() {
        Some(ColorSpace::YCbCr | ColorSpace::RGB) => ColorModel::Rgb,
        Some(ColorSpace::Luma | ColorSpace::LumaA) => ColorModel::Grayscale,
        Some(ColorSpace::CMYK | ColorSpace::YCCK) => ColorModel::Cmyk,
        _ => ColorModel::Other,
    }
}
