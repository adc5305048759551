//! MRZ text repair before parsing: normalising OCR output, fitting line lengths by filler
//! runs, and position-aware look-alike correction (digits in numeric fields, letters in alpha
//! fields, `K`/`C` inside filler runs).

use super::MrzFormat;

/// Uppercases, drops spaces and maps look-alikes of `<` onto it.
pub(super) fn normalise(line: &str) -> String {
    line.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'A'..='Z' | '0'..='9' | '<' => c,
            _ => '<',
        })
        .collect()
}

/// Every way of bringing the lines to the format's width by growing or shrinking one run of
/// `<` (OCR often miscounts long filler runs), with the number of characters changed.
pub(super) fn length_candidates(lines: &[String], format: MrzFormat) -> Vec<(Vec<String>, usize)> {
    let width = format.width();
    let mut out: Vec<(Vec<String>, usize)> = vec![(Vec::new(), 0)];
    for line in lines {
        let options = fit_line(line, width);
        let mut next = Vec::with_capacity(out.len() * options.len());
        for (prefix, cost) in &out {
            for (opt, c) in &options {
                let mut v = prefix.clone();
                v.push(opt.clone());
                next.push((v, cost + c));
            }
        }
        out = next;
        out.truncate(64);
    }
    out
}

fn fit_line(line: &str, width: usize) -> Vec<(String, usize)> {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() == width {
        return vec![(line.to_string(), 0)];
    }
    let diff = chars.len().abs_diff(width);
    let mut opts = Vec::new();
    // At the end: pad with fillers or cut.
    let mut end: Vec<char> = chars.clone();
    end.resize(width, '<');
    opts.push((end.into_iter().collect(), diff));
    // Inside each run of `<`.
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '<' {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == '<' {
            i += 1;
        }
        let run = i - start;
        let mut v = chars[..start].to_vec();
        if chars.len() < width {
            v.extend(std::iter::repeat_n('<', run + diff));
        } else if run >= diff {
            v.extend(std::iter::repeat_n('<', run - diff));
        } else {
            continue;
        }
        v.extend_from_slice(&chars[i..]);
        opts.push((v.into_iter().collect(), diff));
    }
    opts
}

fn to_digit(c: char) -> char {
    match c {
        'O' | 'Q' | 'D' | 'U' => '0',
        'I' | 'L' | 'T' => '1',
        'Z' => '2',
        'S' => '5',
        'G' => '6',
        'B' => '8',
        _ => c,
    }
}

fn to_alpha(c: char) -> char {
    match c {
        '0' => 'O',
        '1' => 'I',
        '2' => 'Z',
        '5' => 'S',
        '6' => 'G',
        '8' => 'B',
        _ => c,
    }
}

/// `K`/`C` misread for `<` inside a run of fillers.
fn fix_fillers(chars: &mut [char]) -> usize {
    let mut fixed = 0;
    for i in 1..chars.len() {
        if !matches!(chars[i], 'K' | 'C') || chars[i - 1] != '<' {
            continue;
        }
        let left = chars[..i].iter().rev().take_while(|&&c| c == '<').count();
        let right = chars[i + 1..].iter().take_while(|&&c| c == '<').count();
        let at_end = i + 1 + right == chars.len();
        if (right > 0 || at_end) && left + right >= 3 {
            chars[i] = '<';
            fixed += 1;
        }
    }
    fixed
}

/// Applies class corrections to one line; country fields (positions in `countries`) are only
/// turned into letters when they already hold a letter (some specimens print digits there).
pub(super) fn repair_line(line: &str, template: &str, countries: &[usize]) -> (String, usize) {
    let mut chars: Vec<char> = line.chars().collect();
    let mut fixed = fix_fillers(&mut chars);
    let classes: Vec<char> = template.chars().collect();
    for (i, c) in chars.iter_mut().enumerate() {
        let class = classes.get(i).copied().unwrap_or('X');
        let in_country = countries.iter().any(|&s| (s..s + 3).contains(&i));
        let new = match class {
            'N' if *c != '<' => to_digit(*c),
            'A' if in_country => *c,
            'A' => to_alpha(*c),
            _ => *c,
        };
        if new != *c {
            *c = new;
            fixed += 1;
        }
    }
    for &s in countries {
        let field = chars.get(s..s + 3).unwrap_or(&[]);
        if field.iter().any(char::is_ascii_alphabetic) {
            for c in chars.iter_mut().skip(s).take(3) {
                let new = to_alpha(*c);
                fixed += usize::from(new != *c);
                *c = new;
            }
        }
    }
    (chars.into_iter().collect(), fixed)
}
