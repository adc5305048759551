//! The hosted pages' languages: one message catalogue per language (`web/flow/i18n/*.json`,
//! embedded in the binary), Brazilian Portuguese by default, English when the person asks for
//! it (`?lang=en`, the page's visible switch) or their browser prefers it (`Accept-Language`).
//! The server renders its own pages (expired, closed, not found) from the same catalogues and
//! hands the page script the chosen one.

use std::collections::HashMap;
use std::sync::OnceLock;

const PT_BR: &str = include_str!("../../../../web/flow/i18n/pt-BR.json");
const EN: &str = include_str!("../../../../web/flow/i18n/en.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    PtBr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::PtBr, Lang::En];

    /// The BCP 47 tag (`<html lang>`, `?lang=`).
    pub fn tag(self) -> &'static str {
        match self {
            Lang::PtBr => "pt-BR",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::PtBr => "Português",
            Lang::En => "English",
        }
    }

    /// The catalogue as JSON text (handed to the page script as is).
    pub fn catalogue_json(self) -> &'static str {
        match self {
            Lang::PtBr => PT_BR,
            Lang::En => EN,
        }
    }

    /// One message; the key itself when missing (a test holds the catalogues complete).
    pub fn msg(self, key: &str) -> &str {
        static PARSED: OnceLock<[HashMap<String, String>; 2]> = OnceLock::new();
        let all = PARSED.get_or_init(|| Lang::ALL.map(|l| parse(l.catalogue_json())));
        let i = usize::from(self == Lang::En);
        all[i].get(key).map(String::as_str).unwrap_or(key)
    }

    fn from_tag(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "pt" || s.starts_with("pt-") {
            Some(Lang::PtBr)
        } else if s == "en" || s.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

fn parse(json: &str) -> HashMap<String, String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The language of a page: `?lang=` when it names one we have, else the first of the
/// browser's `Accept-Language` (by `q`) that we have, else pt-BR.
pub fn negotiate(query_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(l) = query_lang.and_then(Lang::from_tag) {
        return l;
    }
    let Some(header) = accept_language else {
        return Lang::PtBr;
    };
    let mut prefs: Vec<(f32, usize, Lang)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let lang = Lang::from_tag(it.next()?)?;
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, i, lang))
        })
        .collect();
    prefs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    prefs.first().map(|p| p.2).unwrap_or(Lang::PtBr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_the_query_then_the_browser_then_portuguese() {
        let cases = [
            (None, None, Lang::PtBr),
            (None, Some("en-US,en;q=0.9"), Lang::En),
            (None, Some("fr-FR,en;q=0.5,pt-BR;q=0.8"), Lang::PtBr),
            (None, Some("fr-FR,de;q=0.5"), Lang::PtBr),
            (None, Some("pt;q=0,en;q=0.1"), Lang::En),
            (Some("en"), Some("pt-BR"), Lang::En),
            (Some("pt-BR"), Some("en"), Lang::PtBr),
            (Some("xx"), Some("en"), Lang::En),
        ];
        for (q, h, want) in cases {
            assert_eq!(negotiate(q, h), want, "{q:?} {h:?}");
        }
    }

    #[test]
    fn catalogues_have_the_same_keys_and_no_empty_message() {
        let pt = parse(PT_BR);
        let en = parse(EN);
        assert!(pt.len() > 50, "pt-BR catalogue did not parse");
        let mut a: Vec<_> = pt.keys().collect();
        let mut b: Vec<_> = en.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(pt.values().chain(en.values()).all(|v| !v.trim().is_empty()));
    }

    /// Every `t('key')` in the page's scripts names a message both catalogues have.
    #[test]
    fn every_key_the_scripts_use_is_in_the_catalogue() {
        let pt = parse(PT_BR);
        let mut seen = 0;
        for (name, js) in super::super::pages::FLOW_ASSETS {
            for (i, _) in js.match_indices("t('") {
                let before = js[..i].chars().last().unwrap_or(' ');
                if before.is_alphanumeric() || before == '_' || before == '.' {
                    continue; // `submit('…')`, `x.t('…')`: not the catalogue
                }
                let key = js[i + 3..].split('\'').next().unwrap_or_default();
                if key.ends_with('.') {
                    continue; // a prefix completed at run time (`t('err.' + code)`)
                }
                assert!(
                    pt.contains_key(key),
                    "{name}: {key} is not in the catalogue"
                );
                seen += 1;
            }
        }
        assert!(seen > 30, "only {seen} keys found in the scripts");
    }

    #[test]
    fn every_api_error_code_has_a_message_or_falls_back() {
        let pt = parse(PT_BR);
        for code in [
            "session_expired",
            "liveness_failed",
            "no_face",
            "busy",
            "no_text",
        ] {
            assert!(pt.contains_key(&format!("err.{code}")), "{code}");
        }
        assert_eq!(Lang::En.msg("expired.title"), "This link has expired");
        assert_eq!(Lang::PtBr.msg("expired.title"), "Este link expirou");
    }
}
