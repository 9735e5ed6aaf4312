//! The generated share card (`/c/{slug}/card.png`): a 1200×630 PNG with the campaign's title
//! and fan count on its brand colour, for campaigns that have no image of their own. It is the
//! `og:image` of the hosted page and of the link previews, so a shared link always draws a large
//! card.
//!
//! Served by `public_page`. Drawn here, in Rust: no browser, no network. The typeface (DejaVu Sans Bold, unmodified, its
//! licence beside it in `data/fonts/`) is compiled into the binary.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use axum::http::HeaderValue;

use crate::validators::etag_of;

pub const CARD_WIDTH: u32 = 1200;
pub const CARD_HEIGHT: u32 = 630;

/// DejaVu Sans Bold: wide coverage (Latin, Greek, Cyrillic, …) for names and titles.
const FONT: &[u8] = include_bytes!("../data/fonts/DejaVuSans-Bold.ttf");

/// Fanfare's accent, the card's background when a campaign has no `brand_color`.
pub const DEFAULT_BRAND_COLOUR: [u8; 3] = [0xb0, 0x12, 0x4f];

/// A card is drawn again at most this often for the same title, site and colour: its fan count
/// may lag by this much, and a burst of preview fetches costs one drawing.
const REDRAW_AFTER: Duration = Duration::from_secs(600);

/// Campaigns whose last card is kept in memory.
const CARDS_KEPT: usize = 256;

/// What a card shows: drawing the same content again gives the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CardContent {
    pub title: String,
    pub fans: u64,
    /// The host name of the campaign's landing page, written small at the bottom.
    pub site: String,
    pub background: [u8; 3],
}

/// A card as served: its PNG and ETag.
#[derive(Debug)]
pub struct DrawnCard {
    content: CardContent,
    pub png: axum::body::Bytes,
    pub etag: HeaderValue,
    drawn_at: Instant,
}

impl DrawnCard {
    /// Draws `content` (tens of milliseconds: call it off the async runtime).
    pub fn draw(content: CardContent) -> Result<Self, png::EncodingError> {
        let png = draw(&content)?;
        Ok(Self {
            content,
            etag: etag_of(&png),
            png: png.into(),
            drawn_at: Instant::now(),
        })
    }
}

/// The last card drawn for each campaign.
#[derive(Debug)]
pub struct Cards(quick_cache::sync::Cache<i64, Arc<DrawnCard>>);

impl Default for Cards {
    fn default() -> Self {
        Self(quick_cache::sync::Cache::new(CARDS_KEPT))
    }
}

impl Cards {
    /// The campaign's card if it was drawn less than [`REDRAW_AFTER`] ago with this title, site
    /// and colour (its fan count may lag by that much; an edit shows at once).
    pub fn fresh(
        &self,
        campaign_id: i64,
        title: &str,
        site: &str,
        background: [u8; 3],
    ) -> Option<Arc<DrawnCard>> {
        self.0.get(&campaign_id).filter(|kept| {
            kept.content.title == title
                && kept.content.site == site
                && kept.content.background == background
                && kept.drawn_at.elapsed() < REDRAW_AFTER
        })
    }

    pub fn keep(&self, campaign_id: i64, card: Arc<DrawnCard>) {
        self.0.insert(campaign_id, card);
    }
}

fn font() -> &'static FontRef<'static> {
    static PARSED: OnceLock<FontRef<'static>> = OnceLock::new();
    PARSED.get_or_init(|| FontRef::try_from_slice(FONT).expect("the embedded font parses"))
}

/// An RGB canvas the text is blended onto.
struct Canvas {
    pixels: Vec<u8>,
}

impl Canvas {
    fn filled(colour: [u8; 3]) -> Self {
        let pixels = colour
            .iter()
            .copied()
            .cycle()
            .take((CARD_WIDTH * CARD_HEIGHT * 3) as usize)
            .collect();
        Self { pixels }
    }

    /// Writes `line` with its baseline at `baseline`, from `left`, in `colour`.
    fn write(&mut self, line: &str, size: f32, left: f32, baseline: f32, colour: [u8; 3]) {
        let font = font().as_scaled(PxScale::from(size));
        let mut x = left;
        let mut previous = None;
        for ch in line.chars() {
            let id = font.glyph_id(ch);
            if let Some(previous) = previous {
                x += font.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(size, ab_glyph::point(x, baseline));
            x += font.h_advance(id);
            previous = Some(id);
            let Some(outlined) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let px = bounds.min.x as i64 + i64::from(gx);
                let py = bounds.min.y as i64 + i64::from(gy);
                if (0..i64::from(CARD_WIDTH)).contains(&px)
                    && (0..i64::from(CARD_HEIGHT)).contains(&py)
                {
                    let at = ((py as usize) * CARD_WIDTH as usize + px as usize) * 3;
                    for (channel, ink) in self.pixels[at..at + 3].iter_mut().zip(colour) {
                        let blended =
                            f32::from(*channel) * (1.0 - coverage) + f32::from(ink) * coverage;
                        *channel = blended.round().clamp(0.0, 255.0) as u8;
                    }
                }
            });
        }
    }

    fn png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, CARD_WIDTH, CARD_HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()?;
        Ok(out)
    }
}

/// The width of `line` at `size` pixels.
fn width_of(line: &str, size: f32) -> f32 {
    let font = font().as_scaled(PxScale::from(size));
    let mut previous = None;
    line.chars()
        .map(|ch| {
            let id = font.glyph_id(ch);
            let kern = previous.map_or(0.0, |p| font.kern(p, id));
            previous = Some(id);
            kern + font.h_advance(id)
        })
        .sum()
}

/// `text` broken at spaces into lines no wider than `width`; a word wider than a line is cut.
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let joined = match lines.last() {
            Some(line) => format!("{line} {word}"),
            None => word.to_owned(),
        };
        if !lines.is_empty() && width_of(&joined, size) <= width {
            *lines.last_mut().expect("not empty") = joined;
            continue;
        }
        let mut piece = String::new();
        for ch in word.chars() {
            piece.push(ch);
            if width_of(&piece, size) > width && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(ch);
            }
        }
        lines.push(piece);
    }
    lines
}

const MARGIN: f32 = 80.0;
const TITLE_LINES: usize = 3;

/// The title at the largest size (72 px down to 40) that fits in three lines; below that, three
/// lines with an ellipsis.
fn title_lines(title: &str) -> (f32, Vec<String>) {
    let width = CARD_WIDTH as f32 - 2.0 * MARGIN;
    for size in [72.0, 64.0, 56.0, 48.0, 40.0] {
        let lines = wrap(title, size, width);
        if lines.len() <= TITLE_LINES {
            return (size, lines);
        }
    }
    let size = 40.0;
    let mut lines = wrap(title, size, width);
    lines.truncate(TITLE_LINES);
    if let Some(last) = lines.last_mut() {
        while !last.is_empty() && width_of(&format!("{last}…"), size) > width {
            last.pop();
        }
        last.push('…');
    }
    (size, lines)
}

/// White on dark colours, near-black on light ones (relative luminance, WCAG's formula).
fn ink_for(background: [u8; 3]) -> [u8; 3] {
    let linear = |c: u8| {
        let c = f32::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let [r, g, b] = background.map(linear);
    let luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    if luminance > 0.4 {
        [0x1b, 0x1b, 0x1b]
    } else {
        [0xff, 0xff, 0xff]
    }
}

/// The card's PNG.
pub fn draw(content: &CardContent) -> Result<Vec<u8>, png::EncodingError> {
    let mut canvas = Canvas::filled(content.background);
    let ink = ink_for(content.background);
    let (size, lines) = title_lines(&content.title);
    let line_height = size * 1.2;
    // The title block centred in the space above the footer.
    let block = line_height * lines.len() as f32;
    let mut baseline = (CARD_HEIGHT as f32 - 120.0 - block) / 2.0 + size;
    for line in &lines {
        canvas.write(line, size, MARGIN, baseline, ink);
        baseline += line_height;
    }
    let footer = CARD_HEIGHT as f32 - MARGIN;
    let fans = format!(
        "★ {} {}",
        thousands(content.fans),
        if content.fans == 1 { "fan" } else { "fans" }
    );
    canvas.write(&fans, 36.0, MARGIN, footer, ink);
    let site_width = width_of(&content.site, 28.0);
    canvas.write(
        &content.site,
        28.0,
        CARD_WIDTH as f32 - MARGIN - site_width,
        footer,
        ink,
    );
    canvas.png()
}

/// 1234567 as "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(title: &str) -> CardContent {
        CardContent {
            title: title.into(),
            fans: 1234,
            site: "brand.example".into(),
            background: DEFAULT_BRAND_COLOUR,
        }
    }

    fn decoded(png: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(png).read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        (info, pixels)
    }

    #[test]
    fn a_card_is_a_1200_by_630_png_with_text_on_the_brand_colour() {
        let (info, pixels) = decoded(&draw(&content("Spring sale")).unwrap());
        assert_eq!((info.width, info.height), (1200, 630));
        assert_eq!(info.color_type, png::ColorType::Rgb);
        let at = |x: usize, y: usize| &pixels[(y * 1200 + x) * 3..(y * 1200 + x) * 3 + 3];
        // The corner is the background; some pixels are the ink (the text was drawn).
        assert_eq!(at(0, 0), DEFAULT_BRAND_COLOUR);
        let inked = pixels
            .chunks(3)
            .filter(|p| *p == [0xff, 0xff, 0xff])
            .count();
        assert!(inked > 1000, "{inked} white pixels");
    }

    #[test]
    fn the_same_content_draws_the_same_bytes_and_another_count_does_not() {
        let a = draw(&content("Spring sale")).unwrap();
        assert_eq!(a, draw(&content("Spring sale")).unwrap());
        let mut more = content("Spring sale");
        more.fans += 1;
        assert_ne!(a, draw(&more).unwrap());
    }

    #[test]
    fn a_long_title_fits_in_three_lines() {
        let (size, lines) = title_lines(&"Spring ".repeat(60));
        assert_eq!(size, 40.0);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'));
        let (_, one_word) = title_lines(&"W".repeat(200));
        assert!(one_word.len() <= 3);
        for line in one_word.iter().chain(&lines) {
            assert!(
                width_of(line, 40.0) <= 1200.0 - 2.0 * MARGIN + 0.5,
                "{line}"
            );
        }
        // Any text draws: scripts the font lacks, controls, emoji.
        draw(&content("日本語 \u{202e}é\u{0} 🎉")).unwrap();
        draw(&content("")).unwrap();
    }

    #[test]
    fn ink_is_readable_on_light_and_dark_colours() {
        assert_eq!(ink_for([0xff, 0xee, 0x00]), [0x1b, 0x1b, 0x1b]);
        assert_eq!(ink_for(DEFAULT_BRAND_COLOUR), [0xff, 0xff, 0xff]);
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }
}
