/**
 * Stop words: the function words of a language ("in", "it", "die", "the"),
 * which say nothing of what a story is about. A tag whose label is one of
 * them must not gain every story that uses the word (label-words.ts).
 *
 * The lists are the Snowball project's (BSD licence), lower case, without
 * their contractions: function words only, so that a label that is a noun
 * ("Mensch", "Jahr") is never one. Broader lists (stopwords-iso, the npm
 * stopword package) count such nouns as stop words, and a tag "Menschen"
 * would then never match.
 */

const LISTS: Record<string, string> = {
  de: `aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern anderr anders
    auch auf aus bei bin bis bist da damit dann das dass daß dasselbe dazu dein deine deinem deinen deiner deines dem demselben den
    denn denselben der derer derselbe derselben des desselben dessen dich die dies diese dieselbe dieselben diesem diesen dieser dieses
    dir doch dort du durch ein eine einem einen einer eines einig einige einigem einigen einiger einiges einmal er es etwas euch euer
    eure eurem euren eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem
    ihren ihrer ihres im in indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem
    keinen keiner keines können könnte machen man manche manchem manchen mancher manches mein meine meinem meinen meiner meines mich
    mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem seinen seiner seines selbst sich sie sind
    so solche solchem solchen solcher solches soll sollte sondern sonst über um und uns unser unsere unserem unseren unseres unter
    viel vom von vor während war waren warst was weg weil weiter welche welchem welchen welcher welches wenn werde werden wie wieder
    will wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen`,
  en: `a about above after again against all am an and any are as at be because been before being below between both but by
    could did do does doing down during each few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself me more most my myself no nor not of off on once only or other ought our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why with would you your yours yourself yourselves`,
  fr: `au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me même mes moi mon ne nos notre
    nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous à été être est sont était`,
  es: `a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el ella ellas ellos en entre
    era es esa esas ese eso esos esta estas este esto estos fue ha hasta hay la las le les lo los más me mi muy nada ni no nos
    nosotros o otra otras otro otros para pero poco por porque que quien quienes se sin sobre su sus también tanto te todo todos
    tu un una uno unos y ya yo él`,
  pt: `a ao aos aquela aquelas aquele aqueles as até com como da das de dela delas dele deles depois do dos e ela elas ele eles
    em entre era essa essas esse esses esta estas este estes eu foi isso isto já lhe lhes mais mas me mesmo meu meus minha minhas
    muito na nas nem no nos nossa nossas nosso nossos num numa não o os ou para pela pelas pelo pelos por quando que quem se sem
    seu seus sua suas só também te tem teu tua um uma você vocês à às é`,
  it: `a ad agli ai al all alla alle allo anche che chi ci coi col come con contro cui da dagli dai dal dalla dalle dallo degli
    dei del della delle dello di dove e ed gli ha hanno ho i il in io la le lei li lo loro lui ma mi mia mie miei mio ne negli nei
    nel nella nelle nello noi non per perché più quella quelle quelli quello questa queste questi questo se si sono su sua sue sui
    sul sulla sulle suo suoi ti tra tu tua tue tuo tuoi tutti tutto un una uno vi voi è`,
  nl: `aan al alles als altijd andere ben bij dan dat de der deze die dit doch doen door dus een eens en er ge geen geweest haar
    had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je kan kon kunnen maar me meer men met mij mijn moet na
    naar niet niets nog nu of om omdat onder ons ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat
    werd wezen wie wil worden wordt zal ze zelf zich zij zijn zo zonder zou`,
};

const WORDS: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  Object.entries(LISTS).map(([language, list]) => [language, new Set(list.split(/\s+/).filter(Boolean))]),
);

/** The languages whose stop words these are (ISO 639-1 codes). */
export const STOP_WORD_LANGUAGES: readonly string[] = [...WORDS.keys()];

/** Whether every word is a stop word of `language`; false for no words at all. */
export function allStopWords(words: readonly string[], language: string): boolean {
  const list = WORDS.get(language);
  return Boolean(list && words.length && words.every((w) => list.has(w)));
}

/** What a text that uses no stop word at all (a headline alone may not) is taken to be: the portal's language, and English. */
const UNKNOWN = ["de", "en"];

/**
 * The languages a text's words most likely are: those of which it uses the
 * most stop words ("Studenten in einer Bibliothek": de, by two to one).
 * German and English where the text uses none of any: a label that is a stop
 * word of either ("in", "it") gains no such story, one that is a stop word
 * only elsewhere ("EU", Portuguese for "I") does.
 */
export function likelyLanguages(words: readonly string[]): string[] {
  let best = 0;
  let found: string[] = [];
  for (const [language, list] of WORDS) {
    let hits = 0;
    for (const w of words) if (list.has(w)) hits++;
    if (hits > best) {
      best = hits;
      found = [language];
    } else if (hits === best && hits > 0) {
      found.push(language);
    }
  }
  return best > 0 ? found : [...UNKNOWN];
}
