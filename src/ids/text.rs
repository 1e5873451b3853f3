//! Text made safe for a terminal: [`terminal_safe`], for any text sgform did not write itself
//! (server answers, state files, configuration values, world files) before it reaches a
//! terminal. Here, in the leaf every layer may import, so the CLI, the cloud client and the
//! planner's renderers strip the same things.

/// `text` as one line that cannot drive a terminal: escape sequences (CSI `ESC [ … final`, OSC
/// `ESC ] … BEL` or `ESC \\`, DCS, SOS, PM, APC, and two-character escapes) are removed with
/// their parameters, line breaks and tabs become a space, and every other control character
/// (C0 including `\r`, DEL, C1) and bidirectional override (U+202A–U+202E, U+2066–U+2069) is
/// removed. Printable text, whatever its script, is kept as it is.
pub fn terminal_safe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\n' | '\t' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_control() || is_bidi_control(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips what follows an ESC, up to and including the end of its sequence.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    let Some(first) = chars.next() else {
        return;
    };
    match first {
        // CSI: parameter and intermediate bytes, then one final byte.
        '[' => {
            for c in chars.by_ref() {
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    return;
                }
            }
        }
        // OSC, DCS, SOS, PM, APC: a string ended by BEL, ST (`ESC \\`) or C1 ST.
        ']' | 'P' | 'X' | '^' | '_' => {
            while let Some(c) = chars.next() {
                match c {
                    '\u{07}' | '\u{9c}' => return,
                    '\u{1b}' => {
                        if chars.peek() == Some(&'\\') {
                            chars.next();
                        }
                        return;
                    }
                    _ => {}
                }
            }
        }
        // nF escapes: intermediate bytes, then one final byte.
        '\u{20}'..='\u{2f}' => {
            for c in chars.by_ref() {
                if !('\u{20}'..='\u{2f}').contains(&c) {
                    return;
                }
            }
        }
        // Two-character escapes (`ESC c`, `ESC 7`, …): `first` was all of it.
        _ => {}
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
}

#[cfg(test)]
mod tests;
