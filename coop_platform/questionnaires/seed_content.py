"""The questionnaire on cooperation legislation and practice, version 1, in English and French.

Written for the platform from the Rome Statute (art. 75, 87, 93(1)(k), 109), the Paris
Declaration on asset recovery (annex to ICC-ASP/16/Res.2) and the Court's recommendations 5
and 27-45 (2024 report on cooperation). Sections C to F follow the parts of an EJN "fiche
belge" for each measure: is it possible, legal basis, authority, languages, time limits,
urgency, special requirements. This is content, not interface text: it is stored in the
database in both languages and is not translated through Babel.
"""

from __future__ import annotations

from typing import Any

FAMILY = "cooperation"
TITLE = ("Questionnaire on cooperation legislation and practice",
         "Questionnaire sur la législation et la pratique en matière de coopération")

YPN = "yes_partly_no"


def _o(code: str, en: str, fr: str) -> dict:
    return {"code": code, "en": en, "fr": fr}


AUTHORITIES = [
    _o("police", "Police or judicial police", "Police ou police judiciaire"),
    _o("prosecutor", "Public prosecutor", "Ministère public"),
    _o("judge", "Investigating or trial judge", "Juge d'instruction ou juridiction de jugement"),
    _o("aro", "Asset recovery office", "Bureau de recouvrement des avoirs"),
    _o("fiu", "Financial intelligence unit", "Cellule de renseignement financier"),
    _o("tax", "Tax or customs administration", "Administration fiscale ou douanière"),
    _o("ministry", "Ministry of justice or foreign affairs",
       "Ministère de la justice ou des affaires étrangères"),
]

AGREEMENT = [_o("in_force", "In force", "En vigueur"),
             _o("negotiating", "Under negotiation", "En cours de négociation"),
             _o("none", "None", "Aucun")]

# (code, title EN, title FR, [questions]); a question is a dict with key, type, en, fr,
# help_en, help_fr and optionally required, comparable, options, settings, condition.
SECTIONS: list[tuple[str, str, str, list[dict[str, Any]]]] = [
    ("A", "Focal points and channels", "Points focaux et voies de communication", [
        dict(key="A.1", type="contact", required=True, comparable=False,
             en="National focal point for cooperation with the Court",
             fr="Point focal national pour la coopération avec la Cour",
             help_en="The person or office the Registry and other States should contact first "
                     "about cooperation requests. This listing appears in the directory of "
                     "focal points, visible to every signed-in user.",
             help_fr="La personne ou le service que le Greffe et les autres États doivent "
                     "contacter en premier au sujet des demandes de coopération. Cette fiche "
                     "figure dans l'annuaire des points focaux, visible de tout utilisateur "
                     "connecté."),
        dict(key="A.2", type="contact", comparable=False,
             en="Focal point for financial investigations and the freezing of assets, if "
                "different",
             fr="Point focal pour les enquêtes financières et le gel des avoirs, s'il est "
                "différent",
             help_en="Recommendation 36 of the Court's 2024 report invites States to appoint "
                     "such a focal point, without prejudice to the formal channels. Leave "
                     "empty if it is the national focal point.",
             help_fr="La recommandation 36 du rapport de la Cour de 2024 invite les États à "
                     "désigner un tel point focal, sans préjudice des voies officielles. "
                     "Laissez vide s'il s'agit du point focal national."),
        dict(key="A.3", type="single_choice", required=True,
             en="Channel through which the State receives the Court's requests (art. 87(1)(a))",
             fr="Voie par laquelle l'État reçoit les demandes de la Cour (art. 87-1-a)",
             help_en="The channel designated on ratification, accession or later, under "
                     "article 87(1)(a) of the Rome Statute.",
             help_fr="La voie désignée lors de la ratification, de l'adhésion ou ultérieurement, "
                     "en application de l'article 87-1-a du Statut de Rome.",
             options=[_o("diplomatic", "Diplomatic channel", "Voie diplomatique"),
                      _o("central_authority", "Central authority", "Autorité centrale"),
                      _o("interpol", "INTERPOL", "INTERPOL"),
                      _o("other", "Other (say which in the remarks)",
                         "Autre (précisez dans les observations)")]),
        dict(key="A.4", type="multiple_choice", required=True,
             en="Languages in which requests and supporting documents are accepted (art. 87(2))",
             fr="Langues dans lesquelles les demandes et pièces justificatives sont acceptées "
                "(art. 87-2)",
             help_en="Article 87(2): requests are made in an official language of the requested "
                     "State or in one of the Court's working languages, as chosen by the State.",
             help_fr="Article 87-2 : les demandes sont rédigées dans une langue officielle de "
                     "l'État requis ou dans l'une des langues de travail de la Cour, selon le "
                     "choix de l'État.",
             options=[_o("en", "English", "Anglais"), _o("fr", "French", "Français"),
                      _o("es", "Spanish", "Espagnol"), _o("ar", "Arabic", "Arabe"),
                      _o("ru", "Russian", "Russe"), _o("zh", "Chinese", "Chinois"),
                      _o("national", "A national language only",
                         "Une langue nationale uniquement")]),
        dict(key="A.5", type="multiple_choice",
             en="Networks the State's authorities belong to for asset recovery",
             fr="Réseaux auxquels appartiennent les autorités de l'État pour le recouvrement "
                "des avoirs",
             help_en="Informal networks speed up tracing before a formal request (Paris "
                     "Declaration). Tick every network with an active national contact.",
             help_fr="Les réseaux informels accélèrent la recherche avant une demande formelle "
                     "(Déclaration de Paris). Cochez chaque réseau doté d'un contact national "
                     "actif.",
             options=[_o("carin", "CARIN or a regional ARIN", "CARIN ou un ARIN régional"),
                      _o("interpol", "INTERPOL asset-recovery focal points",
                         "Points focaux d'INTERPOL pour le recouvrement des avoirs"),
                      _o("egmont", "Egmont Group (FIU)", "Groupe Egmont (CRF)"),
                      _o("ejn", "European Judicial Network", "Réseau judiciaire européen"),
                      _o("other", "Other", "Autre")]),
        dict(key="A.6", type="single_choice",
             en="Preferred channel for requests from Defence teams (Recommendation 5)",
             fr="Voie préférée pour les demandes des équipes de la Défense (recommandation 5)",
             help_en="Whether the State prefers to receive requests for cooperation from "
                     "Defence teams through the Registry or directly from the teams.",
             help_fr="Si l'État préfère recevoir les demandes de coopération des équipes de la "
                     "Défense par l'intermédiaire du Greffe ou directement des équipes.",
             options=[_o("registry", "Through the Registry", "Par l'intermédiaire du Greffe"),
                      _o("direct", "Directly from the teams", "Directement des équipes"),
                      _o("either", "Either", "L'une ou l'autre")]),
    ]),
    ("B", "Legal framework", "Cadre juridique", [
        dict(key="B.1", type=YPN, required=True,
             en="Is legislation implementing Part 9 of the Rome Statute in force?",
             fr="Une législation mettant en œuvre la Partie 9 du Statut de Rome est-elle en "
                "vigueur ?",
             help_en="Answer \"partly\" when only some forms of cooperation are covered. Give "
                     "the reference in the next question.",
             help_fr="Répondez « en partie » lorsque seules certaines formes de coopération "
                     "sont couvertes. Donnez la référence à la question suivante."),
        dict(key="B.2", type="legal_reference", required=True,
             condition=("B.1", ["yes", "partly"]),
             en="Implementing legislation: instrument and provisions",
             fr="Législation de mise en œuvre : instrument et dispositions",
             help_en="The act, its articles on cooperation with the Court, a link to an "
                     "official publication if there is one, and the date it entered into force.",
             help_fr="La loi, ses articles relatifs à la coopération avec la Cour, un lien vers "
                     "une publication officielle s'il en existe, et sa date d'entrée en vigueur."),
        dict(key="B.3", type=YPN, required=True,
             en="Can requests under article 93(1)(k) be executed (identification, tracing, "
                "freezing or seizure of proceeds, property, assets and instrumentalities)?",
             fr="Les demandes fondées sur l'article 93-1-k peuvent-elles être exécutées "
                "(identification, localisation, gel ou saisie du produit, des biens, avoirs et "
                "instruments des crimes) ?",
             help_en="\"Partly\" if some measures or some kinds of assets are excluded; explain "
                     "in the remarks.",
             help_fr="« En partie » si certaines mesures ou certains types de biens sont exclus ; "
                     "expliquez dans les observations."),
        dict(key="B.4", type="multiple_choice", required=True,
             en="Legal basis used to execute such requests",
             fr="Fondement juridique utilisé pour exécuter ces demandes",
             help_en="Tick every basis that has been or would be used.",
             help_fr="Cochez chaque fondement qui a été ou serait utilisé.",
             options=[_o("icc_act", "Specific ICC cooperation act",
                         "Loi spécifique de coopération avec la CPI"),
                      _o("mla", "General mutual legal assistance law",
                         "Loi générale d'entraide judiciaire"),
                      _o("aml", "Proceeds-of-crime or anti-money-laundering law",
                         "Loi sur les produits du crime ou la lutte contre le blanchiment"),
                      _o("direct", "Direct application of the Statute",
                         "Application directe du Statut")]),
        dict(key="B.5", type="long_text",
             en="Grounds on which execution may be refused or postponed",
             fr="Motifs pour lesquels l'exécution peut être refusée ou différée",
             help_en="For instance ongoing domestic proceedings, national security or "
                     "competing requests, with the provisions that set them out.",
             help_fr="Par exemple une procédure nationale en cours, la sécurité nationale ou des "
                     "demandes concurrentes, avec les dispositions qui les prévoient."),
        dict(key="B.6", type="yes_no", required=True,
             en="Has the State ratified or acceded to the Agreement on the Privileges and "
                "Immunities of the Court (APIC)?",
             fr="L'État a-t-il ratifié l'Accord sur les privilèges et immunités de la Cour "
                "(APIC) ou y a-t-il adhéré ?",
             help_en="Recommendation 30 strongly urges every State Party to do so.",
             help_fr="La recommandation 30 invite instamment chaque État Partie à le faire."),
    ]),
    ("C", "Identification and tracing", "Identification et localisation", [
        dict(key="C.1", type="multiple_choice", required=True,
             en="Authorities that identify and trace assets on the Court's request",
             fr="Autorités qui identifient et localisent les avoirs à la demande de la Cour",
             help_en="The authorities that execute the request, whatever authority receives it.",
             help_fr="Les autorités qui exécutent la demande, quelle que soit celle qui la "
                     "reçoit.",
             options=AUTHORITIES),
        dict(key="C.2", type="yes_no", required=True,
             en="Is there a central register of bank accounts that these authorities can query?",
             fr="Existe-t-il un registre central des comptes bancaires que ces autorités "
                "peuvent interroger ?",
             help_en="A register or data retrieval system that names the holders of accounts "
                     "in every bank of the State.",
             help_fr="Un registre ou un système de consultation qui identifie les titulaires de "
                     "comptes dans toutes les banques de l'État."),
        dict(key="C.3", type="multiple_choice",
             en="Registers the authorities can reach when tracing assets",
             fr="Registres accessibles aux autorités pour la localisation des avoirs",
             help_en="Tick the registers that can be consulted for a request from the Court.",
             help_fr="Cochez les registres qui peuvent être consultés pour une demande de la "
                     "Cour.",
             options=[_o("beneficial", "Beneficial ownership", "Bénéficiaires effectifs"),
                      _o("land", "Land and real estate", "Cadastre et biens immobiliers"),
                      _o("companies", "Companies", "Sociétés"),
                      _o("vehicles", "Vehicles", "Véhicules"),
                      _o("vessels", "Vessels and aircraft", "Navires et aéronefs"),
                      _o("virtual", "Virtual-asset service providers",
                         "Prestataires de services sur actifs virtuels")]),
        dict(key="C.4", type=YPN,
             en="Can the Court consult the authorities informally before sending a formal "
                "request?",
             fr="La Cour peut-elle consulter les autorités de manière informelle avant "
                "d'envoyer une demande formelle ?",
             help_en="Informal consultation helps the Court draft a request that can be "
                     "executed at once.",
             help_fr="La consultation informelle aide la Cour à rédiger une demande exécutable "
                     "sans délai."),
    ]),
    ("D", "Freezing and seizure", "Gel et saisie", [
        dict(key="D.1", type="multiple_choice", required=True,
             en="Authority that orders the freezing or seizure",
             fr="Autorité qui ordonne le gel ou la saisie",
             help_en="The authority that issues the domestic order executing the Court's "
                     "request.",
             help_fr="L'autorité qui rend la décision nationale exécutant la demande de la "
                     "Cour.",
             options=AUTHORITIES),
        dict(key="D.2", type="single_choice", required=True,
             en="Is the Court's order executed directly, or is a new domestic order needed?",
             fr="L'ordonnance de la Cour est-elle exécutée directement ou faut-il une nouvelle "
                "décision nationale ?",
             help_en="Direct execution means that the Court's order is given effect without a "
                     "new decision on the merits.",
             help_fr="L'exécution directe signifie que l'ordonnance de la Cour produit effet "
                     "sans nouvelle décision au fond.",
             options=[_o("direct", "Executed directly", "Exécutée directement"),
                      _o("exequatur", "Recognised by a court (exequatur)",
                         "Reconnue par une juridiction (exequatur)"),
                      _o("new_order", "A new domestic order is issued",
                         "Une nouvelle décision nationale est rendue")]),
        dict(key="D.3", type=YPN, required=True,
             en="Can assets be frozen urgently, before the full request arrives?",
             fr="Les avoirs peuvent-ils être gelés en urgence, avant l'arrivée de la demande "
                "complète ?",
             help_en="For instance on an advance copy, an INTERPOL notice or an informal "
                     "message from the Court.",
             help_fr="Par exemple sur une copie anticipée, une notice d'INTERPOL ou un message "
                     "informel de la Cour."),
        dict(key="D.4", type="number", condition=("D.3", ["yes", "partly"]),
             settings={"unit_en": "days", "unit_fr": "jours", "min": 0, "max": 3650},
             en="Maximum duration of an urgent freeze before the full request must arrive",
             fr="Durée maximale d'un gel en urgence avant l'arrivée obligatoire de la demande "
                "complète",
             help_en="In days. Say in the remarks whether it can be extended.",
             help_fr="En jours. Précisez dans les observations s'il peut être prolongé."),
        dict(key="D.5", type="long_text",
             en="Duration of a freezing order and how it is renewed",
             fr="Durée d'une mesure de gel et modalités de son renouvellement",
             help_en="Whether the order lapses, who renews it and on what grounds.",
             help_fr="Si la mesure devient caduque, qui la renouvelle et pour quels motifs."),
        dict(key="D.6", type="multiple_choice",
             en="Assets that can be frozen",
             fr="Avoirs qui peuvent être gelés",
             help_en="Tick the kinds of assets covered by the measures available.",
             help_fr="Cochez les types d'avoirs couverts par les mesures disponibles.",
             options=[_o("accounts", "Bank accounts", "Comptes bancaires"),
                      _o("real_estate", "Real estate", "Biens immobiliers"),
                      _o("shares", "Company shares", "Parts sociales et actions"),
                      _o("vehicles", "Vehicles, vessels, aircraft",
                         "Véhicules, navires, aéronefs"),
                      _o("virtual", "Virtual assets", "Actifs virtuels"),
                      _o("equivalent", "Assets of equivalent value",
                         "Avoirs de valeur équivalente")]),
        dict(key="D.7", type="long_text", required=True,
             en="Evidentiary threshold and information the request must contain",
             fr="Seuil de preuve et informations que la demande doit contenir",
             help_en="What the executing authority needs to see to act: identification of the "
                     "person and the assets, the link to the crimes, the Court's order.",
             help_fr="Ce dont l'autorité d'exécution a besoin pour agir : identification de la "
                     "personne et des avoirs, lien avec les crimes, ordonnance de la Cour."),
        dict(key="D.8", type=YPN,
             en="Is the holder of the assets notified of the freezing?",
             fr="Le détenteur des avoirs est-il informé du gel ?",
             help_en="\"Partly\" when notice can be postponed to protect the investigation; "
                     "say for how long in the remarks.",
             help_fr="« En partie » lorsque la notification peut être différée pour protéger "
                     "l'enquête ; précisez pour combien de temps dans les observations."),
        dict(key="D.9", type="long_text",
             en="Protection of bona fide third parties and remedies against the measure",
             fr="Protection des tiers de bonne foi et voies de recours contre la mesure",
             help_en="Who may challenge the measure, before which authority and within which "
                     "time limit.",
             help_fr="Qui peut contester la mesure, devant quelle autorité et dans quel délai."),
    ]),
    ("E", "Management of seized assets", "Gestion des avoirs saisis", [
        dict(key="E.1", type="yes_no",
             en="Is there an office dedicated to managing seized assets?",
             fr="Existe-t-il un service chargé de la gestion des avoirs saisis ?",
             help_en="An asset management office or agency that keeps seized property and "
                     "preserves its value.",
             help_fr="Un service ou une agence de gestion qui conserve les biens saisis et en "
                     "préserve la valeur."),
        dict(key="E.2", type=YPN,
             en="Can depreciating assets be sold before a final decision (interlocutory sale)?",
             fr="Les biens qui se déprécient peuvent-ils être vendus avant une décision "
                "définitive (vente avant jugement) ?",
             help_en="For instance vehicles or perishable goods, the proceeds of the sale "
                     "remaining frozen.",
             help_fr="Par exemple des véhicules ou des denrées périssables, le produit de la "
                     "vente restant gelé."),
    ]),
    ("F", "Forfeiture and enforcement", "Confiscation et exécution", [
        dict(key="F.1", type=YPN, required=True,
             en="Can fines and forfeiture orders of the Court be enforced (art. 109)?",
             fr="Les amendes et mesures de confiscation ordonnées par la Cour peuvent-elles "
                "être exécutées (art. 109) ?",
             help_en="Article 109 requires States Parties to give effect to them without "
                     "prejudice to the rights of bona fide third parties.",
             help_fr="L'article 109 impose aux États Parties de leur donner effet sans "
                     "préjudice des droits des tiers de bonne foi."),
        dict(key="F.2", type="legal_reference", condition=("F.1", ["yes", "partly"]),
             en="Procedure to enforce them: instrument and provisions",
             fr="Procédure d'exécution : instrument et dispositions",
             help_en="The provisions that organise the enforcement of the Court's orders.",
             help_fr="Les dispositions qui organisent l'exécution des ordonnances de la Cour."),
        dict(key="F.3", type=YPN,
             en="Are reparations orders enforceable (art. 75(5))?",
             fr="Les ordonnances de réparation sont-elles exécutoires (art. 75-5) ?",
             help_en="Article 75(5) applies article 109 to reparations orders.",
             help_fr="L'article 75-5 rend l'article 109 applicable aux ordonnances de "
                     "réparation."),
        dict(key="F.4", type="yes_no",
             en="Does domestic law provide for non-conviction-based confiscation?",
             fr="Le droit interne prévoit-il une confiscation sans condamnation préalable ?",
             help_en="Confiscation in rem, without a criminal conviction of the owner.",
             help_fr="Une confiscation réelle, sans condamnation pénale du propriétaire."),
        dict(key="F.5", type="long_text",
             en="Transfer of proceeds to the Court or the Trust Fund for Victims, and any "
                "deductions",
             fr="Transfert du produit au profit de la Cour ou du Fonds au profit des victimes, "
                "et déductions éventuelles",
             help_en="How the proceeds are transferred and whether costs are deducted first.",
             help_fr="Comment le produit est transféré et si des frais sont d'abord déduits."),
    ]),
    ("G", "Practice and lessons", "Pratique et enseignements", [
        dict(key="G.1", type="single_choice",
             en="Typical time to execute a freezing request",
             fr="Délai habituel d'exécution d'une demande de gel",
             help_en="From receipt of a complete request to the freezing order.",
             help_fr="De la réception d'une demande complète à la décision de gel.",
             options=[_o("week", "Less than a week", "Moins d'une semaine"),
                      _o("month", "One week to one month", "D'une semaine à un mois"),
                      _o("quarter", "One to three months", "D'un à trois mois"),
                      _o("longer", "More than three months", "Plus de trois mois"),
                      _o("unknown", "No experience yet", "Pas encore d'expérience")]),
        dict(key="G.2", type="multiple_choice",
             en="Formal requirements for requests",
             fr="Exigences formelles applicables aux demandes",
             help_en="Tick what a request must carry to be executed.",
             help_fr="Cochez ce qu'une demande doit comporter pour être exécutée.",
             options=[_o("certified", "Certified copies", "Copies certifiées conformes"),
                      _o("translation", "Translation", "Traduction"),
                      _o("apostille", "Apostille or legalisation", "Apostille ou légalisation"),
                      _o("original", "Original signed request", "Demande originale signée")]),
        dict(key="G.3", type="number", comparable=True,
             settings={"unit_en": "requests", "unit_fr": "demandes", "min": 0, "max": 100000},
             en="Requests under article 93(1)(k) received in the last five years",
             fr="Demandes fondées sur l'article 93-1-k reçues au cours des cinq dernières "
                "années",
             help_en="A number. Say in the remarks how many were executed.",
             help_fr="Un nombre. Précisez dans les observations combien ont été exécutées."),
        dict(key="G.4", type="long_text",
             en="Challenges met and good practices",
             fr="Difficultés rencontrées et bonnes pratiques",
             help_en="What slowed execution and what helped, to share with peers.",
             help_fr="Ce qui a ralenti l'exécution et ce qui l'a facilitée, à partager avec les "
                     "pairs."),
        dict(key="G.5", type="long_text",
             en="Technical assistance needs",
             fr="Besoins d'assistance technique",
             help_en="Training, secondments (Recommendation 34) or legislative advice "
                     "(Recommendation 31) that would help.",
             help_fr="Formations, détachements (recommandation 34) ou conseils législatifs "
                     "(recommandation 31) qui seraient utiles."),
    ]),
    ("H", "Voluntary cooperation", "Coopération volontaire", [
        dict(key="H.1", type="single_choice",
             en="Agreement on the enforcement of sentences",
             fr="Accord sur l'exécution des peines",
             help_en="Recommendation 39: framework agreements and ad hoc acceptance.",
             help_fr="Recommandation 39 : accords-cadres et acceptation au cas par cas.",
             options=AGREEMENT),
        dict(key="H.2", type="single_choice",
             en="Agreement on the relocation of witnesses",
             fr="Accord sur la réinstallation des témoins",
             help_en="Recommendation 39.",
             help_fr="Recommandation 39.",
             options=AGREEMENT),
        dict(key="H.3", type="single_choice",
             en="Agreement on interim release and release",
             fr="Accord sur la mise en liberté provisoire et la mise en liberté",
             help_en="Recommendation 39.",
             help_fr="Recommandation 39.",
             options=AGREEMENT),
    ]),
]
