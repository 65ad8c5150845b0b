// The names wikitext links and tags are classified by: file and category namespace names in the
// languages whose dumps we read (MediaWiki's `Messages*.php` namespace names), Wikipedia language
// codes for interlanguage links, and HTML / extension tag names. Not a full MediaWiki site matrix.

/// What a `[[prefix:…]]` prefix means.
enum LinkNamespace: Sendable {
    case file, category, interlanguage
}

/// How the converter treats an HTML or extension tag.
enum WikiTagKind: Sendable {
    /// Removed with everything up to its closing tag (`<ref>`, `<math>`, `<gallery>`).
    case removeWithContent
    /// Content copied as written, without wikitext parsing (`<nowiki>`, `<pre>`, `<syntaxhighlight>`).
    case literal
    /// Markup dropped, content parsed, and a line break (block elements, `<br>`).
    case block
    /// Markup dropped, content parsed (`<span>`, `<small>`, `<sup>`).
    case inline
}

enum WikiNames {
    /// File, image, media and category namespace names, plus interlanguage codes, folded to
    /// ASCII lower case, with the lower-case forms of non-ASCII names added.
    static let linkNamespaces: ByteKeyTable<LinkNamespace> = {
        var pairs: [(String, LinkNamespace)] = []
        func add(_ names: [String], _ kind: LinkNamespace) {
            for n in names {
                var forms: Set<String> = [n, n.lowercased()]
                for f in Array(forms) where f.contains(" ") {
                    forms.insert(f.replacingOccurrences(of: " ", with: "_"))
                }
                for f in forms { pairs.append((f, kind)) }
            }
        }
        add(fileNames, .file)
        add(categoryNames, .category)
        add(languageCodes, .interlanguage)
        return ByteKeyTable(pairs, foldsASCIICase: true)
    }()

    static let fileNames = [
        "File", "Image", "Media",  // en (Image is the old alias)
        "Datei", "Bild", "Fichier", "Archivo", "Imagen", "Immagine", "Ficheiro", "Arquivo", "Imagem", "Plik",
        "Grafika", "Bestand", "Afbeelding", "Fil", "Dosya", "Resim", "Soubor", "Obrázek", "Tiedosto", "Kuva",
        "Файл", "Изображение", "Зображення", "Картинка", "Медиа", "Медіа",  // ru, uk, bg
        "Αρχείο", "Εικόνα", "Μέσο",  // el
        "ファイル", "画像", "メディア",  // ja
        "文件", "档案", "檔案", "图像", "圖像",  // zh
        "Tập tin", "Hình", "Phương tiện",  // vi
        "Պատկեր", "Ֆայլ", "Մեդիա",  // hy
        "চিত্র", "ফাইল", "মিডিয়া",  // bn
        "चित्र", "संचिका", "मिडिया", "फ़ाइल",  // mr, hi
        "ملف", "صورة", "پرونده", "تصویر", "קובץ", "תמונה", "파일", "그림",  // ar, fa, he, ko
    ]

    static let categoryNames = [
        "Category", "Kategorie", "Catégorie", "Categoría", "Categoria", "Kategoria", "Categorie", "Kategori",
        "Luokka", "Категория", "Категорія", "Κατηγορία", "カテゴリ", "分类", "分類", "Thể loại",
        "Կատեգորիա", "বিষয়শ্রেণী", "वर्ग", "श्रेणी", "تصنيف", "رده", "קטגוריה", "분류",
    ]

    /// Wikipedia language edition codes (interlanguage link prefixes).
    static let languageCodes = [
        "aa", "ab", "ace", "ady", "af", "ak", "als", "alt", "am", "an", "ang", "ar", "arc", "ary", "arz", "as",
        "ast", "atj", "av", "avk", "awa", "ay", "az", "azb", "ba", "ban", "bar", "bat-smg", "bcl", "be",
        "be-tarask", "be-x-old", "bg", "bh", "bi", "bjn", "bm", "bn", "bo", "bpy", "br", "bs", "bug", "bxr", "ca",
        "cbk-zam", "cdo", "ce", "ceb", "ch", "cho", "chr", "chy", "ckb", "co", "cr", "crh", "cs", "csb", "cu",
        "cv", "cy", "da", "dag", "de", "din", "diq", "dsb", "dty", "dv", "dz", "ee", "el", "eml", "en", "eo",
        "es", "et", "eu", "ext", "fa", "ff", "fi", "fiu-vro", "fj", "fo", "fr", "frp", "frr", "fur", "fy", "ga",
        "gag", "gan", "gcr", "gd", "gl", "glk", "gn", "gom", "gor", "got", "gu", "gv", "ha", "hak", "haw", "he",
        "hi", "hif", "ho", "hr", "hsb", "ht", "hu", "hy", "hyw", "hz", "ia", "id", "ie", "ig", "ii", "ik", "ilo",
        "inh", "io", "is", "it", "iu", "ja", "jam", "jbo", "jv", "ka", "kaa", "kab", "kbd", "kbp", "kg", "ki",
        "kj", "kk", "kl", "km", "kn", "ko", "koi", "kr", "krc", "ks", "ksh", "ku", "kv", "kw", "ky", "la", "lad",
        "lb", "lbe", "lez", "lfn", "lg", "li", "lij", "lld", "lmo", "ln", "lo", "lrc", "lt", "ltg", "lv", "mad",
        "mai", "map-bms", "mdf", "mg", "mh", "mhr", "mi", "min", "mk", "ml", "mn", "mni", "mnw", "mr", "mrj",
        "ms", "mt", "mus", "mwl", "my", "myv", "mzn", "na", "nah", "nap", "nds", "nds-nl", "ne", "new", "ng",
        "nia", "nl", "nn", "no", "nov", "nqo", "nrm", "nso", "nv", "ny", "oc", "olo", "om", "or", "os", "pa",
        "pag", "pam", "pap", "pcd", "pcm", "pdc", "pfl", "pi", "pih", "pl", "pms", "pnb", "pnt", "ps", "pt",
        "pwn", "qu", "rm", "rmy", "rn", "ro", "roa-rup", "roa-tara", "ru", "rue", "rw", "sa", "sah", "sat", "sc",
        "scn", "sco", "sd", "se", "sg", "sh", "shi", "shn", "si", "simple", "sk", "skr", "sl", "sm", "smn", "sn",
        "so", "sq", "sr", "srn", "ss", "st", "stq", "su", "sv", "sw", "szl", "szy", "ta", "tay", "tcy", "te",
        "tet", "tg", "th", "ti", "tk", "tl", "tn", "to", "tpi", "tr", "trv", "ts", "tt", "tum", "tw", "ty",
        "tyv", "udm", "ug", "uk", "ur", "uz", "ve", "vec", "vep", "vi", "vls", "vo", "wa", "war", "wo", "wuu",
        "xal", "xh", "xmf", "yi", "yo", "za", "zea", "zh", "zh-classical", "zh-min-nan", "zh-yue", "zu",
    ]

    /// HTML elements MediaWiki allows plus the extension tags of Wikipedia.
    static let tags: ByteKeyTable<WikiTagKind> = {
        var pairs: [(String, WikiTagKind)] = []
        for n in [
            "ref", "references", "math", "chem", "ce", "gallery", "timeline", "imagemap", "score", "graph",
            "mapframe", "maplink", "templatedata", "templatestyles", "hiero", "inputbox", "categorytree",
            "includeonly", "indicator", "section", "charinsert", "dynamicpagelist", "rss", "langconvert",
        ] {
            pairs.append((n, .removeWithContent))
        }
        for n in ["nowiki", "pre", "syntaxhighlight", "source"] { pairs.append((n, .literal)) }
        for n in [
            "br", "p", "div", "blockquote", "center", "li", "ul", "ol", "dl", "dd", "dt", "table", "tr", "td",
            "th", "caption", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "poem",
        ] {
            pairs.append((n, .block))
        }
        for n in [
            "span", "small", "big", "sup", "sub", "b", "i", "u", "s", "strike", "del", "ins", "abbr", "font",
            "code", "tt", "kbd", "var", "samp", "cite", "q", "em", "strong", "mark", "bdi", "bdo", "ruby", "rb",
            "rp", "rt", "rtc", "data", "time", "wbr", "dfn", "onlyinclude", "noinclude", "thead", "tbody",
            "tfoot", "a",
        ] {
            pairs.append((n, .inline))
        }
        return ByteKeyTable(pairs, foldsASCIICase: true)
    }()
}
